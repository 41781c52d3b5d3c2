using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    friendly_name = table.Column<string>(type: "TEXT", nullable: true),
                    xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    phone = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    provider = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    webhook_secret = table.Column<string>(type: "TEXT", nullable: false),
                    redirect_origins = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    settings_access_token = table.Column<string>(type: "TEXT", nullable: true),
                    settings_app_secret = table.Column<string>(type: "TEXT", nullable: true),
                    settings_auth_template = table.Column<string>(type: "TEXT", nullable: true),
                    settings_auth_template_language = table.Column<string>(type: "TEXT", nullable: true),
                    settings_graph_url = table.Column<string>(type: "TEXT", nullable: true),
                    settings_graph_version = table.Column<string>(type: "TEXT", nullable: true),
                    settings_phone_number_id = table.Column<string>(type: "TEXT", nullable: true),
                    settings_verify_token = table.Column<string>(type: "TEXT", nullable: true),
                    settings_waha_api_key = table.Column<string>(type: "TEXT", nullable: true),
                    settings_waha_hmac_key = table.Column<string>(type: "TEXT", nullable: true),
                    settings_waha_session = table.Column<string>(type: "TEXT", nullable: true),
                    settings_waha_url = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instances", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rate_counters",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    window_start = table.Column<long>(type: "INTEGER", nullable: false),
                    count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rate_counters", x => new { x.key, x.window_start });
                });

            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    hash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    hint = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_tokens", x => x.id);
                    table.ForeignKey(
                        name: "fk_api_tokens_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "callback_deliveries",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    request_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    locked_until = table.Column<long>(type: "INTEGER", nullable: true),
                    last_attempt_at = table.Column<long>(type: "INTEGER", nullable: true),
                    delivered_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_callback_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "fk_callback_deliveries_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "inbound_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    provider_message_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    chat_id = table.Column<string>(type: "TEXT", nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    request_id = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_inbound_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_inbound_messages_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "otp_requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    otp_type = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    code_hash = table.Column<byte[]>(type: "BLOB", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    bound_chat_id = table.Column<string>(type: "TEXT", nullable: true),
                    chat_id = table.Column<string>(type: "TEXT", nullable: true),
                    phone = table.Column<string>(type: "TEXT", nullable: true),
                    prompt_message = table.Column<string>(type: "TEXT", nullable: true),
                    success_message = table.Column<string>(type: "TEXT", nullable: true),
                    failed_message = table.Column<string>(type: "TEXT", nullable: true),
                    expired_message = table.Column<string>(type: "TEXT", nullable: true),
                    callback_success = table.Column<string>(type: "TEXT", nullable: true),
                    callback_failed = table.Column<string>(type: "TEXT", nullable: true),
                    redirect = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    message_received_at = table.Column<long>(type: "INTEGER", nullable: true),
                    verified_at = table.Column<long>(type: "INTEGER", nullable: true),
                    validated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    ended_at = table.Column<long>(type: "INTEGER", nullable: true),
                    failed_reason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    failed_attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    verification_token_hash = table.Column<byte[]>(type: "BLOB", nullable: true),
                    exchange_token_hash = table.Column<byte[]>(type: "BLOB", nullable: true),
                    exchange_expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    expired_notice_at = table.Column<long>(type: "INTEGER", nullable: true),
                    exchanged_at = table.Column<long>(type: "INTEGER", nullable: true),
                    device_binding_hash = table.Column<byte[]>(type: "BLOB", nullable: true),
                    device_description = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    link_opened_at = table.Column<long>(type: "INTEGER", nullable: true),
                    link_clicks = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_otp_requests", x => x.id);
                    table.ForeignKey(
                        name: "fk_otp_requests_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "outbound_messages",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    request_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    chat_id = table.Column<string>(type: "TEXT", nullable: false),
                    text = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    code = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    locked_until = table.Column<long>(type: "INTEGER", nullable: true),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    provider_message_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbound_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_outbound_messages_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "simulated_phone_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    chat_id = table.Column<string>(type: "TEXT", nullable: false),
                    text = table.Column<string>(type: "TEXT", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_simulated_phone_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_simulated_phone_messages_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "callback_attempts",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    delivery_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    attempted_at = table.Column<long>(type: "INTEGER", nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_callback_attempts", x => x.id);
                    table.ForeignKey(
                        name: "fk_callback_attempts_callback_deliveries_delivery_id",
                        column: x => x.delivery_id,
                        principalTable: "callback_deliveries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "outbound_attempts",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    message_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    attempted_at = table.Column<long>(type: "INTEGER", nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbound_attempts", x => x.id);
                    table.ForeignKey(
                        name: "fk_outbound_attempts_outbound_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "outbound_messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_tokens_hash",
                table: "api_tokens",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_api_tokens_instance_id",
                table: "api_tokens",
                column: "instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_callback_attempts_delivery_id",
                table: "callback_attempts",
                column: "delivery_id");

            migrationBuilder.CreateIndex(
                name: "ix_callback_deliveries_instance_id",
                table: "callback_deliveries",
                column: "instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_callback_deliveries_request_id",
                table: "callback_deliveries",
                column: "request_id");

            migrationBuilder.CreateIndex(
                name: "ix_callback_deliveries_status_next_attempt_at",
                table: "callback_deliveries",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_inbound_messages_instance_id_chat_id_received_at",
                table: "inbound_messages",
                columns: new[] { "instance_id", "chat_id", "received_at" });

            migrationBuilder.CreateIndex(
                name: "ix_inbound_messages_instance_id_provider_message_id",
                table: "inbound_messages",
                columns: new[] { "instance_id", "provider_message_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests",
                column: "exchange_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_code",
                table: "otp_requests",
                columns: new[] { "instance_id", "code" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "bound_chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_open_link_code",
                table: "otp_requests",
                columns: new[] { "instance_id", "code" },
                unique: true,
                filter: "otp_type = 'link' AND status = 'pending'");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_status_expires_at",
                table: "otp_requests",
                columns: new[] { "status", "expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_verification_token_hash",
                table: "otp_requests",
                column: "verification_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbound_attempts_message_id",
                table: "outbound_attempts",
                column: "message_id");

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_instance_id_chat_id_created_at",
                table: "outbound_messages",
                columns: new[] { "instance_id", "chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_status_next_attempt_at",
                table: "outbound_messages",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rate_counters_window_start",
                table: "rate_counters",
                column: "window_start");

            migrationBuilder.CreateIndex(
                name: "ix_simulated_phone_messages_instance_id_chat_id_sent_at",
                table: "simulated_phone_messages",
                columns: new[] { "instance_id", "chat_id", "sent_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_tokens");

            migrationBuilder.DropTable(
                name: "callback_attempts");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "inbound_messages");

            migrationBuilder.DropTable(
                name: "otp_requests");

            migrationBuilder.DropTable(
                name: "outbound_attempts");

            migrationBuilder.DropTable(
                name: "rate_counters");

            migrationBuilder.DropTable(
                name: "simulated_phone_messages");

            migrationBuilder.DropTable(
                name: "callback_deliveries");

            migrationBuilder.DropTable(
                name: "outbound_messages");

            migrationBuilder.DropTable(
                name: "instances");
        }
    }
}

using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    provider = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    webhook_secret = table.Column<string>(type: "text", nullable: false),
                    redirect_origins = table.Column<List<string>>(type: "text[]", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    settings_access_token = table.Column<string>(type: "text", nullable: true),
                    settings_app_secret = table.Column<string>(type: "text", nullable: true),
                    settings_auth_template = table.Column<string>(type: "text", nullable: true),
                    settings_auth_template_language = table.Column<string>(type: "text", nullable: true),
                    settings_graph_url = table.Column<string>(type: "text", nullable: true),
                    settings_graph_version = table.Column<string>(type: "text", nullable: true),
                    settings_phone_number_id = table.Column<string>(type: "text", nullable: true),
                    settings_verify_token = table.Column<string>(type: "text", nullable: true),
                    settings_waha_api_key = table.Column<string>(type: "text", nullable: true),
                    settings_waha_hmac_key = table.Column<string>(type: "text", nullable: true),
                    settings_waha_session = table.Column<string>(type: "text", nullable: true),
                    settings_waha_url = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instances", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    hint = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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
                name: "otp_requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    otp_type = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    bound_chat_id = table.Column<string>(type: "text", nullable: true),
                    chat_id = table.Column<string>(type: "text", nullable: true),
                    phone = table.Column<string>(type: "text", nullable: true),
                    prompt_message = table.Column<string>(type: "text", nullable: true),
                    success_message = table.Column<string>(type: "text", nullable: true),
                    failed_message = table.Column<string>(type: "text", nullable: true),
                    expired_message = table.Column<string>(type: "text", nullable: true),
                    callback_success = table.Column<string>(type: "text", nullable: true),
                    callback_failed = table.Column<string>(type: "text", nullable: true),
                    redirect = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    message_received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    verified_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    validated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    failed_reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    failed_attempts = table.Column<int>(type: "integer", nullable: false),
                    verification_token_hash = table.Column<byte[]>(type: "bytea", nullable: true),
                    exchange_token_hash = table.Column<byte[]>(type: "bytea", nullable: true),
                    exchange_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    exchanged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests",
                column: "exchange_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_code",
                table: "otp_requests",
                columns: new[] { "instance_id", "code" });

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_tokens");

            migrationBuilder.DropTable(
                name: "otp_requests");

            migrationBuilder.DropTable(
                name: "instances");
        }
    }
}

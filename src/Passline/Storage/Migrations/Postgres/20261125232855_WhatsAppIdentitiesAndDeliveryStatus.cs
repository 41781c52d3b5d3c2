using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WhatsAppIdentitiesAndDeliveryStatus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "delivery_error",
                table: "outbound_messages",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "delivery_status",
                table: "outbound_messages",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "delivery_updated_at",
                table: "outbound_messages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "form",
                table: "outbound_messages",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "link",
                table: "outbound_messages",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "user_id",
                table: "otp_requests",
                type: "character varying(150)",
                maxLength: 150,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "settings_button_label",
                table: "instances",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "settings_reply_style",
                table: "instances",
                type: "text",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "outcome",
                table: "inbound_messages",
                type: "character varying(24)",
                maxLength: 24,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16);

            migrationBuilder.CreateTable(
                name: "known_identities",
                columns: table => new
                {
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_known_identities", x => new { x.instance_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_known_identities_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_instance_id_provider_message_id",
                table: "outbound_messages",
                columns: new[] { "instance_id", "provider_message_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "known_identities");

            migrationBuilder.DropIndex(
                name: "ix_outbound_messages_instance_id_provider_message_id",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "delivery_error",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "delivery_status",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "delivery_updated_at",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "form",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "link",
                table: "outbound_messages");

            migrationBuilder.DropColumn(
                name: "user_id",
                table: "otp_requests");

            migrationBuilder.DropColumn(
                name: "settings_button_label",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "settings_reply_style",
                table: "instances");

            migrationBuilder.AlterColumn<string>(
                name: "outcome",
                table: "inbound_messages",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(24)",
                oldMaxLength: 24);
        }
    }
}

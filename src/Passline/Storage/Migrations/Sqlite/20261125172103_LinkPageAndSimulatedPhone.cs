using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LinkPageAndSimulatedPhone : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "device_binding_hash",
                table: "otp_requests",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "device_description",
                table: "otp_requests",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "link_clicks",
                table: "otp_requests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "link_opened_at",
                table: "otp_requests",
                type: "INTEGER",
                nullable: true);

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

            migrationBuilder.CreateIndex(
                name: "ix_simulated_phone_messages_instance_id_chat_id_sent_at",
                table: "simulated_phone_messages",
                columns: new[] { "instance_id", "chat_id", "sent_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "simulated_phone_messages");

            migrationBuilder.DropColumn(
                name: "device_binding_hash",
                table: "otp_requests");

            migrationBuilder.DropColumn(
                name: "device_description",
                table: "otp_requests");

            migrationBuilder.DropColumn(
                name: "link_clicks",
                table: "otp_requests");

            migrationBuilder.DropColumn(
                name: "link_opened_at",
                table: "otp_requests");
        }
    }
}

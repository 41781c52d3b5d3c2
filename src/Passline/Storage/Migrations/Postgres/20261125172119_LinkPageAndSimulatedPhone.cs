using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
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
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "device_description",
                table: "otp_requests",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "link_clicks",
                table: "otp_requests",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "link_opened_at",
                table: "otp_requests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "simulated_phone_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    chat_id = table.Column<string>(type: "text", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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

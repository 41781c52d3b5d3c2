using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OutboxPendingIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbound_messages_status_next_attempt_at",
                table: "outbound_messages");

            migrationBuilder.DropIndex(
                name: "ix_callback_deliveries_status_next_attempt_at",
                table: "callback_deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_next_attempt_at",
                table: "outbound_messages",
                column: "next_attempt_at",
                filter: "status = 'pending'");

            migrationBuilder.CreateIndex(
                name: "ix_callback_deliveries_next_attempt_at",
                table: "callback_deliveries",
                column: "next_attempt_at",
                filter: "status = 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbound_messages_next_attempt_at",
                table: "outbound_messages");

            migrationBuilder.DropIndex(
                name: "ix_callback_deliveries_next_attempt_at",
                table: "callback_deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_status_next_attempt_at",
                table: "outbound_messages",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_callback_deliveries_status_next_attempt_at",
                table: "callback_deliveries",
                columns: new[] { "status", "next_attempt_at" });
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RateLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "bound_chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rate_counters_window_start",
                table: "rate_counters",
                column: "window_start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rate_counters");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests");
        }
    }
}

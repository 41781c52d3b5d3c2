using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EndedLinkCodeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_code",
                table: "otp_requests");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_ended_link_code",
                table: "otp_requests",
                columns: new[] { "instance_id", "code" },
                filter: "otp_type = 'link' AND status <> 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_otp_requests_ended_link_code",
                table: "otp_requests");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_code",
                table: "otp_requests",
                columns: new[] { "instance_id", "code" });
        }
    }
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PartialIndexesForUnsetColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_id_chat_id_created_at",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_verification_token_hash",
                table: "otp_requests");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests",
                column: "exchange_token_hash",
                unique: true,
                filter: "exchange_token_hash IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "bound_chat_id", "created_at" },
                filter: "bound_chat_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "chat_id", "created_at" },
                filter: "chat_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_verification_token_hash",
                table: "otp_requests",
                column: "verification_token_hash",
                unique: true,
                filter: "verification_token_hash IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_instance_id_chat_id_created_at",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_verification_token_hash",
                table: "otp_requests");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_exchange_token_hash",
                table: "otp_requests",
                column: "exchange_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_bound_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "bound_chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_instance_id_chat_id_created_at",
                table: "otp_requests",
                columns: new[] { "instance_id", "chat_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_verification_token_hash",
                table: "otp_requests",
                column: "verification_token_hash",
                unique: true);
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Passline.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RetentionAndHourlyStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "stats_hours",
                columns: table => new
                {
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    links_generated = table.Column<int>(type: "integer", nullable: false),
                    links_verified = table.Column<int>(type: "integer", nullable: false),
                    links_expired = table.Column<int>(type: "integer", nullable: false),
                    links_failed = table.Column<int>(type: "integer", nullable: false),
                    link_clicks = table.Column<int>(type: "integer", nullable: false),
                    codes_requested = table.Column<int>(type: "integer", nullable: false),
                    codes_validated = table.Column<int>(type: "integer", nullable: false),
                    codes_expired = table.Column<int>(type: "integer", nullable: false),
                    codes_failed = table.Column<int>(type: "integer", nullable: false),
                    wrong_codes = table.Column<int>(type: "integer", nullable: false),
                    messages_received = table.Column<int>(type: "integer", nullable: false),
                    messages_refused = table.Column<int>(type: "integer", nullable: false),
                    verification_milliseconds = table.Column<long>(type: "bigint", nullable: false),
                    max_verification_milliseconds = table.Column<long>(type: "bigint", nullable: false),
                    verification_histogram = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stats_hours", x => new { x.instance_id, x.hour });
                    table.ForeignKey(
                        name: "fk_stats_hours_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "stats_watermark",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    summarized_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stats_watermark", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "stats_watermark",
                columns: new[] { "id", "summarized_until" },
                values: new object[] { 1, null });

            migrationBuilder.CreateIndex(
                name: "ix_outbound_messages_created_at",
                table: "outbound_messages",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_otp_requests_created_at",
                table: "otp_requests",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_known_identities_resolved_at",
                table: "known_identities",
                column: "resolved_at");

            migrationBuilder.CreateIndex(
                name: "ix_inbound_messages_received_at",
                table: "inbound_messages",
                column: "received_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "stats_hours");

            migrationBuilder.DropTable(
                name: "stats_watermark");

            migrationBuilder.DropIndex(
                name: "ix_outbound_messages_created_at",
                table: "outbound_messages");

            migrationBuilder.DropIndex(
                name: "ix_otp_requests_created_at",
                table: "otp_requests");

            migrationBuilder.DropIndex(
                name: "ix_known_identities_resolved_at",
                table: "known_identities");

            migrationBuilder.DropIndex(
                name: "ix_inbound_messages_received_at",
                table: "inbound_messages");
        }
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Storage;

namespace Passline.Requests;

/// <summary>One verification attempt, of type <c>link</c> or <c>code</c> (SPEC 1, 3).</summary>
public sealed class OtpRequest
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string OtpType { get; set; }
    /// <summary>The link code (shown in the WhatsApp link). Empty for a code OTP, whose code is kept only as <see cref="CodeHash"/>.</summary>
    public required string Code { get; set; }

    /// <summary>For a code OTP: SHA-256 of the request id and the code; the code itself is never stored.</summary>
    public byte[]? CodeHash { get; set; }
    public OtpStatus Status { get; set; } = OtpStatus.Pending;
    public required string Name { get; set; }

    /// <summary>The chat the request is bound to at creation (<c>chatId</c>); only it may complete the request.</summary>
    public string? BoundChatId { get; set; }

    /// <summary>The chat that sent the code (link) or that the code was sent to (code).</summary>
    public string? ChatId { get; set; }

    /// <summary><c>+</c> and digits: the sender's phone number when known (SPEC 1), else null.</summary>
    public string? Phone { get; set; }

    /// <summary>
    /// The request's own <c>language</c> (SPEC 2.2), a supported tag; null when the call gave none, so that its pages
    /// follow the browser's <c>Accept-Language</c>.
    /// </summary>
    public string? Language { get; set; }

    /// <summary>The provider's own id of the sender when it gave one: a WAHA <c>@lid</c> or a Cloud API BSUID.</summary>
    public string? UserId { get; set; }

    public string? PromptMessage { get; set; }
    public string? SuccessMessage { get; set; }
    public string? FailedMessage { get; set; }
    public string? ExpiredMessage { get; set; }
    public string? CallbackSuccess { get; set; }
    public string? CallbackFailed { get; set; }
    public string? Redirect { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? MessageReceivedAt { get; set; }
    public DateTimeOffset? VerifiedAt { get; set; }
    public DateTimeOffset? ValidatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? FailedReason { get; set; }
    public int FailedAttempts { get; set; }

    /// <summary>SHA-256 of the current one-time verification token (<c>/v/{token}</c>).</summary>
    public byte[]? VerificationTokenHash { get; set; }

    /// <summary>SHA-256 of the one-time exchange token handed to the browser after Verify.</summary>
    public byte[]? ExchangeTokenHash { get; set; }

    public DateTimeOffset? ExchangeExpiresAt { get; set; }

    /// <summary>When the <c>expired</c> WhatsApp message was queued, so that it is sent at most once.</summary>
    public DateTimeOffset? ExpiredNoticeAt { get; set; }
    public DateTimeOffset? ExchangedAt { get; set; }

    /// <summary>
    /// SHA-256 of the device-binding cookie of the browser that last opened <c>link_url</c> while the request was
    /// pending (SPEC 4.3): that browser receives the redirect after Verify (SPEC 4.2).
    /// </summary>
    public byte[]? DeviceBindingHash { get; set; }

    /// <summary>The bound browser and its OS as its User-Agent told them (<c>Chrome on Windows</c>), shown on the verification page.</summary>
    public string? DeviceDescription { get; set; }

    /// <summary>When <c>link_url</c> was first opened: the request counts as clicked (SPEC 8).</summary>
    public DateTimeOffset? LinkOpenedAt { get; set; }

    /// <summary>How many times <c>link_url</c> was opened (GET).</summary>
    public int LinkClicks { get; set; }

    /// <summary>Second precision, so that what is stored is what responses show and <c>expires_at - created_at == expires</c>.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

public static class OtpTypes
{
    public const string Link = "link";
    public const string Code = "code";
}

/// <summary>Where an OTP request stands (SPEC 3). Stored, and shown, as the lower-case name: <c>pending</c>, <c>sent</c>, ...</summary>
public enum OtpStatus
{
    Pending,
    /// <summary>A code OTP whose message the provider accepted (SPEC 2.3).</summary>
    Sent,
    Verified,
    Validated,
    Failed,
    Expired,
}

public static class OtpStatusNames
{
    private static readonly string[] Names = [.. Enum.GetValues<OtpStatus>().Select(s => s.ToString().ToLowerInvariant())];

    /// <summary>The name clients see and the database stores.</summary>
    public static string Name(this OtpStatus status) => Names[(int)status];

    public static OtpStatus Parse(string name) => (OtpStatus)Array.IndexOf(Names, name) is var s && (int)s >= 0
        ? s
        : throw new FormatException($"Unknown OTP request status '{name}'.");

    /// <summary>Still open: pending, or a code that was sent and not yet validated.</summary>
    public static bool IsOpen(this OtpStatus status) => status is OtpStatus.Pending or OtpStatus.Sent;
}

/// <summary>Why a request failed: the <c>failed_reason</c> of SPEC 3.</summary>
public static class FailedReasons
{
    public const string WrongSender = "wrong_sender";

    /// <summary>A bound request's code came from an identity that could not be resolved to a phone number (SPEC 3).</summary>
    public const string SenderUnresolved = "sender_unresolved";

    /// <summary>The provider reported that a requested code could not be delivered (SPEC 3).</summary>
    public const string Undeliverable = "undeliverable";
    public const string Declined = "declined";
    public const string Cancelled = "cancelled";
    public const string Superseded = "superseded";
    public const string TooManyAttempts = "too_many_attempts";
}

internal sealed class OtpRequestConfiguration : IEntityTypeConfiguration<OtpRequest>
{
    public void Configure(EntityTypeBuilder<OtpRequest> e)
    {
        e.ToTable("otp_requests");
        e.Property(r => r.OtpType).HasMaxLength(8);
        e.Property(r => r.Code).HasMaxLength(16);
        e.Property(r => r.Status).HasMaxLength(16).HasConversion(s => s.Name(), s => OtpStatusNames.Parse(s));
        e.Property(r => r.FailedReason).HasMaxLength(32);
        e.Property(r => r.DeviceDescription).HasMaxLength(100);
        e.Property(r => r.Language).HasMaxLength(16);
        e.Property(r => r.UserId).HasMaxLength(150);
        e.HasOne<Instances.Instance>().WithMany().HasForeignKey(r => r.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_otp_requests_instances_instance_id");

        // A link code identifies its request among the instance's open requests (SPEC 2.2);
        // the database enforces it so that concurrent generate-link calls cannot collide.
        e.HasIndex(r => new { r.InstanceId, r.Code }, "open_link_code")
            .HasDatabaseName("ix_otp_requests_open_link_code")
            .HasFilter("otp_type = 'link' AND status = 'pending'")
            .IsUnique();

        // An ended request's code still finds it, to answer "already used" or "expired" (SPEC 3). Indexed apart from the
        // open ones, so that a new request writes one entry for its code (the open index's), in the one writer on SQLite
        // (SPEC 9); the entry moves when the request ends.
        e.HasIndex(r => new { r.InstanceId, r.Code }, "ended_link_code")
            .HasDatabaseName("ix_otp_requests_ended_link_code")
            .HasFilter("otp_type = 'link' AND status <> 'pending'");

        // Columns that are empty when a request is created (no chat bound, no token yet) are indexed only where set: a
        // generate-link then writes four index entries fewer, in the one writer on SQLite (SPEC 9), and every lookup
        // compares with a value, which the partial indexes serve.
        e.HasIndex(r => new { r.InstanceId, r.ChatId, r.CreatedAt }).HasFilter("chat_id IS NOT NULL");
        e.HasIndex(r => new { r.InstanceId, r.BoundChatId, r.CreatedAt }).HasFilter("bound_chat_id IS NOT NULL");
        e.HasIndex(r => r.VerificationTokenHash).IsUnique().HasFilter("verification_token_hash IS NOT NULL");
        e.HasIndex(r => r.ExchangeTokenHash).IsUnique().HasFilter("exchange_token_hash IS NOT NULL");
        e.HasIndex(r => new { r.Status, r.ExpiresAt });

        // Statistics per hour and retention read requests by when they were created (Monitoring/, Retention/).
        e.HasIndex(r => r.CreatedAt);
    }
}

public static class OtpRequestsTable
{
    extension(PasslineDb db)
    {
        public DbSet<OtpRequest> OtpRequests => db.Set<OtpRequest>();
    }
}

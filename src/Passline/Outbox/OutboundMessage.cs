using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Outbox;

/// <summary>
/// A WhatsApp message waiting to be sent, or sent: the durable outbox of SPEC 5. Written in the same unit of work as
/// the state change that causes it; sent through the instance's channel by the outbox engine.
/// </summary>
public sealed class OutboundMessage : OutboxRow
{
    public Guid? RequestId { get; set; }
    public required string ChatId { get; set; }
    public required string Text { get; set; }

    /// <summary><c>text</c>, or <c>code</c> for a code OTP (sent as the authentication template on the Cloud API).</summary>
    public required string Kind { get; set; }

    /// <summary>The one-time code, for <c>code</c> messages (the template's parameter).</summary>
    public string? Code { get; set; }

    public DateTimeOffset? SentAt { get; set; }
    public string? ProviderMessageId { get; set; }

    public override Guid? AboutRequest => RequestId;

    protected internal override object Attempted(DateTimeOffset now, DeliveryResult result) => new OutboundAttempt
    {
        MessageId = Id,
        AttemptedAt = now,
        StatusCode = result.StatusCode,
        Outcome = result.OutcomeName,
        Error = result.Error,
    };

    protected internal override void Delivered(DateTimeOffset now, DeliveryResult result)
    {
        Status = OutboundStatuses.Sent;
        SentAt = now;
        ProviderMessageId = result.ProviderMessageId;
    }

    /// <summary>
    /// Redacted once delivered or given up (SPEC 8): the text may carry a verification link or a code, which must not
    /// outlive the sending; kind, recipient, status and attempts stay. The simulator's phone reads this table, so its
    /// copy stays (the simulator is off outside Development).
    /// </summary>
    protected internal override void Settled(DeliveryResult result)
    {
        if (!result.StoredIsDelivered)
        {
            Text = "";
            Code = null;
        }
    }
}

/// <summary>One try at sending an <see cref="OutboundMessage"/>, as the provider answered it.</summary>
public sealed class OutboundAttempt
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public required string Outcome { get; set; }
    public string? Error { get; set; }
}

public static class OutboundStatuses
{
    public const string Pending = OutboxStatuses.Pending;
    public const string Sent = "sent";
    public const string Failed = OutboxStatuses.Failed;
}

public static class OutboundKinds
{
    public const string Text = "text";
    public const string Code = "code";
}

internal sealed class OutboundMessageConfiguration : IEntityTypeConfiguration<OutboundMessage>, IEntityTypeConfiguration<OutboundAttempt>
{
    public void Configure(EntityTypeBuilder<OutboundMessage> e)
    {
        e.ToTable("outbound_messages");
        e.Ignore(m => m.AboutRequest);
        e.Property(m => m.Kind).HasMaxLength(8);
        e.Property(m => m.Status).HasMaxLength(16);

        // A link or a code while the message waits; redacted once it was delivered or given up (SPEC 8).
        e.Property(m => m.Text).IsEncrypted();
        e.Property(m => m.Code).IsEncrypted();
        e.HasIndex(m => new { m.Status, m.NextAttemptAt });
        e.HasIndex(m => new { m.InstanceId, m.ChatId, m.CreatedAt });
        e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_outbound_messages_instances_instance_id");
    }

    public void Configure(EntityTypeBuilder<OutboundAttempt> e)
    {
        e.ToTable("outbound_attempts");
        e.Property(a => a.Outcome).HasMaxLength(16);
        e.HasIndex(a => a.MessageId);
        e.HasOne<OutboundMessage>().WithMany().HasForeignKey(a => a.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

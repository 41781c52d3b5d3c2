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

    /// <summary>
    /// The verification URL a <c>success</c> message carries, so that it can go as a button (SPEC 5 "Reply style");
    /// <see cref="Text"/> holds it too, for the text form.
    /// </summary>
    public string? Link { get; set; }

    /// <summary>What the provider reported after accepting it: <see cref="DeliveryStatuses"/>; null until a report.</summary>
    public string? DeliveryStatus { get; set; }

    /// <summary>The provider's error when <see cref="DeliveryStatus"/> is <c>failed</c> (Meta: code and title).</summary>
    public string? DeliveryError { get; set; }

    public DateTimeOffset? DeliveryUpdatedAt { get; set; }

    /// <summary>How the provider accepted it: <see cref="MessageForms"/>; a refused button is sent again as text.</summary>
    public string? Form { get; set; }

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
        Form = result.AsText || Link is null ? MessageForms.Text : MessageForms.Button;
    }

    /// <summary>
    /// Redacted once delivered or given up (SPEC 8): the text may carry a verification link or a code, which must not
    /// outlive the sending; kind, recipient, status and attempts stay. The simulator's phone reads this table, so its
    /// copy stays (the simulator is off outside Development).
    /// </summary>
    protected internal override void Settled(DeliveryResult result)
    {
        // A button the provider accepted may still be reported failed and then go again as text (SPEC 5): it keeps its
        // text, encrypted, until that report or a delivered/read one (RequestLifecycle.ReportDeliveryAsync).
        if (!result.StoredIsDelivered && Form != MessageForms.Button)
        {
            Text = "";
            Code = null;
            Link = null;
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

/// <summary>The form a message went out in (SPEC 5 "Reply style").</summary>
public static class MessageForms
{
    public const string Text = "text";
    public const string Button = "button";
}

/// <summary>Delivery reports of the providers (Cloud API <c>statuses[]</c>, WAHA <c>message.ack</c>), in order.</summary>
public static class DeliveryStatuses
{
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";

    /// <summary>How far a status is along; a report never moves a message back (reports may arrive out of order).</summary>
    public static int Rank(string? status) => status switch
    {
        Sent => 1,
        Delivered => 2,
        Read => 3,
        Failed => 4,
        _ => 0,
    };
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
        e.Property(m => m.DeliveryStatus).HasMaxLength(16);
        e.Property(m => m.DeliveryError).HasMaxLength(300);
        e.Property(m => m.Form).HasMaxLength(8);

        // A link or a code while the message waits; redacted once it was delivered or given up (SPEC 8).
        e.Property(m => m.Text).IsEncrypted();
        e.Property(m => m.Code).IsEncrypted();
        e.Property(m => m.Link).IsEncrypted();
        OutboxClaims.IndexDue(e);

        // Delivery reports name the message by the provider's id.
        e.HasIndex(m => new { m.InstanceId, m.ProviderMessageId });
        e.HasIndex(m => new { m.InstanceId, m.ChatId, m.CreatedAt });

        // Retention deletes sent messages by age.
        e.HasIndex(m => m.CreatedAt);
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

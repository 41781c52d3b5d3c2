using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Outbox;

/// <summary>
/// A signed callback to the application, waiting or delivered: the callback outbox of SPEC 7. Written in the same
/// unit of work as the transition that ended the request; the body is fixed then, so every attempt sends the same
/// body under the same <c>webhook-id</c>.
/// </summary>
public sealed class CallbackDelivery : OutboxRow
{
    public Guid RequestId { get; set; }
    public required string Url { get; set; }
    public required string Payload { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public int? LastStatusCode { get; set; }

    /// <summary>The Standard Webhooks message id, stable across retries.</summary>
    public string WebhookId => $"msg_{Id:N}";

    public override Guid? AboutRequest => RequestId;

    protected internal override object Attempted(DateTimeOffset now, DeliveryResult result)
    {
        LastAttemptAt = now;
        LastStatusCode = result.StatusCode;
        return new CallbackAttempt
        {
            DeliveryId = Id,
            AttemptedAt = now,
            StatusCode = result.StatusCode,
            Outcome = result.OutcomeName,
            Error = result.Error,
        };
    }

    protected internal override void Delivered(DateTimeOffset now, DeliveryResult result)
    {
        Status = CallbackStatuses.Delivered;
        DeliveredAt = now;
    }
}

/// <summary>One try at delivering a <see cref="CallbackDelivery"/>.</summary>
public sealed class CallbackAttempt
{
    public long Id { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public required string Outcome { get; set; }
    public string? Error { get; set; }
}

public static class CallbackStatuses
{
    public const string Pending = OutboxStatuses.Pending;
    public const string Delivered = "delivered";
    public const string Failed = OutboxStatuses.Failed;
}

internal sealed class CallbackDeliveryConfiguration : IEntityTypeConfiguration<CallbackDelivery>, IEntityTypeConfiguration<CallbackAttempt>
{
    public void Configure(EntityTypeBuilder<CallbackDelivery> e)
    {
        e.ToTable("callback_deliveries");
        e.Property(d => d.Url).HasMaxLength(2048);
        e.Property(d => d.Status).HasMaxLength(16);
        e.Ignore(d => d.WebhookId);
        e.Ignore(d => d.AboutRequest);
        OutboxClaims.IndexDue(e);
        e.HasIndex(d => d.RequestId);
        e.HasOne<Instance>().WithMany().HasForeignKey(d => d.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_callback_deliveries_instances_instance_id");
    }

    public void Configure(EntityTypeBuilder<CallbackAttempt> e)
    {
        e.ToTable("callback_attempts");
        e.Property(a => a.Outcome).HasMaxLength(16);
        e.HasIndex(a => a.DeliveryId);
        e.HasOne<CallbackDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class OutboxTables
{
    extension(PasslineDb db)
    {
        public DbSet<OutboundMessage> OutboundMessages => db.Set<OutboundMessage>();
        public DbSet<OutboundAttempt> OutboundAttempts => db.Set<OutboundAttempt>();
        public DbSet<CallbackDelivery> CallbackDeliveries => db.Set<CallbackDelivery>();
        public DbSet<CallbackAttempt> CallbackAttempts => db.Set<CallbackAttempt>();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Inbound;

/// <summary>
/// One WhatsApp message a provider delivered, kept for deduplication (unique per provider message id), the per-chat
/// limit and the figures of SPEC 8. Only what matching needs is stored: not the text.
/// </summary>
public sealed class InboundMessage
{
    public long Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string ProviderMessageId { get; set; }
    public required string ChatId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>What became of it: see <see cref="InboundOutcomes"/>.</summary>
    public required string Outcome { get; set; }

    /// <summary>The request whose code the message carried, if any.</summary>
    public Guid? RequestId { get; set; }
}

public static class InboundOutcomes
{
    public const string Matched = "matched";
    public const string WrongSender = "wrong_sender";
    public const string SenderUnresolved = "sender_unresolved";
    public const string Expired = "expired";
    public const string Ended = "ended";
    public const string UnknownCode = "unknown_code";
    public const string NoCode = "no_code";
    public const string RateLimited = "rate_limited";
}

internal sealed class InboundMessageConfiguration : IEntityTypeConfiguration<InboundMessage>
{
    public void Configure(EntityTypeBuilder<InboundMessage> e)
    {
        e.ToTable("inbound_messages");
        e.Property(m => m.ProviderMessageId).HasMaxLength(200);
        e.Property(m => m.Outcome).HasMaxLength(24);

        // Deduplication: the database refuses a provider message id it has seen, also from concurrent deliveries.
        e.HasIndex(m => new { m.InstanceId, m.ProviderMessageId }).IsUnique();
        e.HasIndex(m => new { m.InstanceId, m.ChatId, m.ReceivedAt });

        // Statistics per hour and retention read messages by when they arrived.
        e.HasIndex(m => m.ReceivedAt);
        e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_inbound_messages_instances_instance_id");
    }
}

public static class InboundTables
{
    extension(PasslineDb db)
    {
        public DbSet<InboundMessage> InboundMessages => db.Set<InboundMessage>();

        public DbSet<KnownIdentity> KnownIdentities => db.Set<KnownIdentity>();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Channels.Simulator;

/// <summary>
/// A message the simulated phone's user sent (SPEC 4.4). Passline itself never keeps the text of an incoming message;
/// the phone does, as a real phone's chat does, so that its page can show both sides of the conversation.
/// </summary>
public sealed class SimulatedPhoneMessage
{
    public long Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string ChatId { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset SentAt { get; set; }
}

internal sealed class SimulatedPhoneMessageConfiguration : IEntityTypeConfiguration<SimulatedPhoneMessage>
{
    public void Configure(EntityTypeBuilder<SimulatedPhoneMessage> e)
    {
        e.ToTable("simulated_phone_messages");
        e.HasIndex(m => new { m.InstanceId, m.ChatId, m.SentAt });
        e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_simulated_phone_messages_instances_instance_id");
    }
}

public static class SimulatorTables
{
    extension(PasslineDb db)
    {
        public DbSet<SimulatedPhoneMessage> SimulatedPhoneMessages => db.Set<SimulatedPhoneMessage>();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;

namespace Passline.Inbound;

/// <summary>
/// A provider's user id (a WAHA <c>@lid</c>, a Cloud API BSUID) resolved to a phone number, remembered per instance
/// (SPEC 1) so that the next message from that user needs no lookup.
/// </summary>
public sealed class KnownIdentity
{
    public Guid InstanceId { get; set; }
    public required string UserId { get; set; }

    /// <summary><c>+</c> and digits.</summary>
    public required string Phone { get; set; }

    public DateTimeOffset ResolvedAt { get; set; }
}

internal sealed class KnownIdentityConfiguration : IEntityTypeConfiguration<KnownIdentity>
{
    public void Configure(EntityTypeBuilder<KnownIdentity> e)
    {
        e.ToTable("known_identities");
        e.HasKey(k => new { k.InstanceId, k.UserId });
        e.Property(k => k.UserId).HasMaxLength(150);
        e.Property(k => k.Phone).HasMaxLength(20);

        // Retention deletes identities not resolved again within the period.
        e.HasIndex(k => k.ResolvedAt);
        e.HasOne<Instance>().WithMany().HasForeignKey(k => k.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_known_identities_instances_instance_id");
    }
}

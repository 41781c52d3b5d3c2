using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Passline.Storage;

/// <summary>
/// A string column stored encrypted with <see cref="SecretBox"/>: code that reads and writes the entity sees plaintext,
/// the database only ever holds ciphertext.
/// </summary>
public sealed class EncryptedConverter(SecretBox? box) : ValueConverter<string, string>(
    v => Box(box).Encrypt(v),
    v => Box(box).Decrypt(v))
{
    // Design-time contexts (migrations) build the model without a key; they never read or write a row.
    private static SecretBox Box(SecretBox? box) => box ?? throw new InvalidOperationException("This database context has no Passline:Secrets:Key.");
}

public static class EncryptedColumns
{
    private const string Annotation = "Passline:Encrypted";

    /// <summary>Marks a string column to be stored encrypted (what is marked is the feature's business; how, Storage's).</summary>
    public static PropertyBuilder<T> IsEncrypted<T>(this PropertyBuilder<T> property) => property.HasAnnotation(Annotation, true);

    public static ComplexTypePropertyBuilder<T> IsEncrypted<T>(this ComplexTypePropertyBuilder<T> property) => property.HasAnnotation(Annotation, true);

    /// <summary>Gives every marked column the converter of <paramref name="box"/>; the marks themselves stay out of migrations.</summary>
    public static void Apply(ModelBuilder modelBuilder, SecretBox? box)
    {
        var converter = new EncryptedConverter(box);
        var properties = modelBuilder.Model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Concat(e.GetComplexProperties().SelectMany(c => c.ComplexType.GetProperties())))
            .Where(p => p.FindAnnotation(Annotation) is not null)
            .ToList();
        foreach (var property in properties)
        {
            property.SetValueConverter(converter);
            property.RemoveAnnotation(Annotation);
        }
    }

    /// <summary>Gives the context the key its encrypted columns use.</summary>
    public static DbContextOptionsBuilder UseSecretBox(this DbContextOptionsBuilder options, SecretBox box)
    {
        ((IDbContextOptionsBuilderInfrastructure)options).AddOrUpdateExtension(new SecretBoxExtension(box));
        return options.ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, SecretBoxModelCacheKeyFactory>();
    }

    /// <summary>The key of this context (null at design time).</summary>
    public static SecretBox? SecretBoxOf(DbContext db) => db.GetService<IDbContextOptions>().FindExtension<SecretBoxExtension>()?.Box;
}

/// <summary>Carries the key to <see cref="PasslineDb.OnModelCreating"/>.</summary>
internal sealed class SecretBoxExtension(SecretBox box) : IDbContextOptionsExtension
{
    public SecretBox Box => box;

    public DbContextOptionsExtensionInfo Info => new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;
        public override string LogFragment => "";
        public override int GetServiceProviderHashCode() => 0;
        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;
        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
        }
    }
}

/// <summary>
/// The model holds the converters, and so the key: models are cached per set of keys, so that two hosts in one process
/// (tests, or a command beside the server) with different keys never share one.
/// </summary>
internal sealed class SecretBoxModelCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), designTime, EncryptedColumns.SecretBoxOf(context)?.Fingerprint);
}

using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace Passline.Storage;

public static class EncryptedDataProtection
{
    /// <summary>
    /// Data-protection keys (antiforgery, device-binding cookies) live in the database, shared by every node (SPEC 8),
    /// and are encrypted there with <c>Passline:Secrets:Key</c>.
    /// </summary>
    public static IServiceCollection AddPasslineDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("passline").PersistKeysToDbContext<PasslineDb>();
        services.AddOptions<KeyManagementOptions>().Configure<SecretBox>((o, box) => o.XmlEncryptor = new SecretsXmlEncryptor(box));
        return services;
    }
}

/// <summary>Encrypts a data-protection key's secret part with <see cref="SecretBox"/>.</summary>
public sealed class SecretsXmlEncryptor(SecretBox box) : IXmlEncryptor
{
    public const string ElementName = "passlineEncryptedSecret";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(new XElement(ElementName,
                new XComment(" encrypted with Passline:Secrets:Key "),
                new XElement("value", box.Encrypt(plaintextElement.ToString(SaveOptions.DisableFormatting)))),
            typeof(SecretsXmlDecryptor));
}

/// <summary>Created by data protection from the type name stored with each key, with the application's services.</summary>
public sealed class SecretsXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<SecretBox>().Decrypt((string?)encryptedElement.Element("value") ?? ""));
}

using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Passline.Channels;
using Passline.Requests;
using Passline.Storage;
using static Passline.PasslineCommandLine;

namespace Passline.Instances;

/// <summary><c>instance create|list|update</c>, <c>token create|revoke</c>, <c>secret rotate</c> (SPEC 8).</summary>
public static partial class InstanceCommands
{
    private sealed record ProviderOptions(
        Option<string> WahaUrl, Option<string> WahaSession, Option<string> WahaApiKey, Option<string> WahaHmacKey,
        Option<string> GraphUrl, Option<string> GraphVersion, Option<string> PhoneNumberId, Option<string> AccessToken,
        Option<string> AppSecret, Option<string> VerifyToken, Option<string> AuthTemplate, Option<string> AuthTemplateLanguage,
        Option<string> ReplyStyle, Option<string> ButtonLabel)
    {
        /// <summary>The options; <paramref name="defaults"/> says whether their help names the defaults (create) or not (update, which keeps the current values).</summary>
        public static ProviderOptions Create(bool defaults)
        {
            string Default(string value) => defaults ? $" (default: {value})" : "";
            return new(
                new("--waha-url") { Description = "WAHA base URL, e.g. http://waha:3000" },
                new("--waha-session") { Description = $"WAHA session name{Default("default")}" },
                new("--waha-api-key") { Description = "WAHA X-Api-Key" },
                new("--waha-hmac-key") { Description = "key WAHA signs webhooks with (X-Webhook-Hmac)" },
                new("--graph-url") { Description = $"Graph API base URL{Default("https://graph.facebook.com")}" },
                new("--graph-version") { Description = $"Graph API version, such as v21.0{Default("v21.0")}" },
                new("--phone-number-id") { Description = "Cloud API phone number id" },
                new("--access-token") { Description = "Cloud API access token" },
                new("--app-secret") { Description = "Meta app secret (X-Hub-Signature-256)" },
                new("--verify-token") { Description = "webhook verify token (hub.verify_token)" },
                new("--auth-template") { Description = "authentication template name for request-code" },
                new("--auth-template-language") { Description = $"authentication template language, a locale such as en_US or pt_BR{Default("en_US")}" },
                new("--reply-style") { Description = $"how the success message goes: text or button{Default("button on cloud-api, text elsewhere")}" },
                new("--button-label") { Description = $"label of the success message's button, 1 to 20 characters{Default("Verify")}" });
        }

        public IEnumerable<Option> All => [WahaUrl, WahaSession, WahaApiKey, WahaHmacKey, GraphUrl, GraphVersion, PhoneNumberId, AccessToken, AppSecret, VerifyToken, AuthTemplate, AuthTemplateLanguage, ReplyStyle, ButtonLabel];

        /// <summary>Copies the options given on the command line onto <paramref name="settings"/>; absent ones leave it as it is.</summary>
        public void Apply(ParseResult parse, ProviderSettings settings)
        {
            settings.WahaUrl = parse.GetValue(WahaUrl) ?? settings.WahaUrl;
            settings.WahaSession = parse.GetValue(WahaSession) ?? settings.WahaSession;
            settings.WahaApiKey = parse.GetValue(WahaApiKey) ?? settings.WahaApiKey;
            settings.WahaHmacKey = parse.GetValue(WahaHmacKey) ?? settings.WahaHmacKey;
            settings.GraphUrl = parse.GetValue(GraphUrl) ?? settings.GraphUrl;
            settings.GraphVersion = parse.GetValue(GraphVersion) ?? settings.GraphVersion;
            settings.PhoneNumberId = parse.GetValue(PhoneNumberId) ?? settings.PhoneNumberId;
            settings.AccessToken = parse.GetValue(AccessToken) ?? settings.AccessToken;
            settings.AppSecret = parse.GetValue(AppSecret) ?? settings.AppSecret;
            settings.VerifyToken = parse.GetValue(VerifyToken) ?? settings.VerifyToken;
            settings.AuthTemplate = parse.GetValue(AuthTemplate) ?? settings.AuthTemplate;
            settings.AuthTemplateLanguage = parse.GetValue(AuthTemplateLanguage) ?? settings.AuthTemplateLanguage;
            settings.ReplyStyle = parse.GetValue(ReplyStyle) ?? settings.ReplyStyle;
            settings.ButtonLabel = parse.GetValue(ButtonLabel) ?? settings.ButtonLabel;
        }
    }

    public static Command Instance()
    {
        var command = new Command("instance", "Manage instances: one WhatsApp business number each.");
        command.Subcommands.Add(CreateInstance());
        command.Subcommands.Add(ListInstances());
        command.Subcommands.Add(UpdateInstance());
        return command;
    }

    private static Command CreateInstance()
    {
        var name = new Option<string>("--name") { Description = "name shown to users ({name})", Required = true };
        var phone = new Option<string>("--phone") { Description = "business number, international, digits", Required = true };
        var provider = new Option<string>("--provider") { Description = "simulator, waha or cloud-api", Required = true };
        var origins = new Option<string[]>("--redirect-origin") { Description = "allowed redirect origins (one or more; repeatable)", AllowMultipleArgumentsPerToken = true };
        var language = LanguageOption(defaults: true);
        var providerOptions = ProviderOptions.Create(defaults: true);
        var command = new Command("create", "Create an instance; prints its id, a token and the webhook secret.") { name, phone, provider, origins, language };
        foreach (var option in providerOptions.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, cancellationToken) =>
        {
            var instance = new Instance
            {
                Name = parse.GetValue(name)!.Trim(),
                Phone = ChatId.PhoneDigits(parse.GetValue(phone)!) ?? "",
                Provider = parse.GetValue(provider)!,
                WebhookSecret = "",
                Language = Localization.Languages.Normalize(parse.GetValue(language)) ?? parse.GetValue(language) ?? Localization.Languages.Default,
            };
            providerOptions.Apply(parse, instance.Settings);
            if (Validate(instance, parse.GetValue(origins)) is { } problem)
            {
                return Task.FromResult(Fail(problem));
            }

            Warn(instance);
            return RunAsync(parse, async (db, time, ct) =>
            {
                var created = await InstanceAdmin.CreateAsync(db, time, instance, ct);
                return Print(new { instance = created.Instance.Id, token_id = created.TokenId, token = created.Token, webhook_secret = created.Instance.WebhookSecret });
            }, cancellationToken);
        });
        return command;
    }

    private static Command UpdateInstance()
    {
        var id = InstanceIdOption();
        var name = new Option<string>("--name") { Description = "name shown to users ({name})" };
        var phone = new Option<string>("--phone") { Description = "business number, international, digits" };
        var provider = new Option<string>("--provider") { Description = "simulator, waha or cloud-api" };
        var origins = new Option<string[]>("--redirect-origin")
        {
            Description = "allowed redirect origins (one or more; repeatable; replaces the list)",
            AllowMultipleArgumentsPerToken = true,
        };
        var language = LanguageOption(defaults: false);
        var providerOptions = ProviderOptions.Create(defaults: false);
        var command = new Command("update", "Change an instance's settings; options not given stay as they are.") { id, name, phone, provider, origins, language };
        foreach (var option in providerOptions.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, _, ct) =>
        {
            var instance = await db.Instances.FirstOrDefaultAsync(i => i.Id == parse.GetValue(id), ct);
            if (instance is null)
            {
                return Fail("no such instance");
            }

            instance.Name = parse.GetValue(name)?.Trim() ?? instance.Name;
            instance.Phone = parse.GetValue(phone) is { } newPhone ? ChatId.PhoneDigits(newPhone) ?? "" : instance.Phone;
            instance.Provider = parse.GetValue(provider) ?? instance.Provider;
            instance.Language = parse.GetValue(language) is { } newLanguage ? Localization.Languages.Normalize(newLanguage) ?? newLanguage : instance.Language;
            providerOptions.Apply(parse, instance.Settings);
            var newOrigins = parse.GetResult(origins) is null ? null : parse.GetValue(origins);
            if (Validate(instance, newOrigins) is { } problem)
            {
                return Fail(problem);
            }

            Warn(instance);
            await db.SaveChangesAsync(ct);
            return Print(Describe(instance));
        }, cancellationToken));
        return command;
    }

    private static Command ListInstances()
    {
        var command = new Command("list", "List instances (without secrets).");
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, _, ct) =>
        {
            var instances = await db.Instances.AsNoTracking().OrderBy(i => i.CreatedAt).ToListAsync(ct);
            return Print(instances.Select(Describe));
        }, cancellationToken));
        return command;
    }

    public static Command Token()
    {
        var command = new Command("token", "Manage API tokens.");

        var instanceId = InstanceIdOption();
        var create = new Command("create", "Create an API token for an instance; it is shown once.") { instanceId };
        create.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, time, ct) =>
        {
            var id = parse.GetValue(instanceId);
            if (!await db.Instances.AnyAsync(i => i.Id == id, ct))
            {
                return Fail("no such instance");
            }

            var (row, token) = InstanceAdmin.AddToken(db, id, time.GetUtcNow());
            await db.SaveChangesAsync(ct);
            return Print(new { instance = id, token_id = row.Id, token });
        }, cancellationToken));

        var tokenValue = new Option<string>("--token") { Description = "the token to revoke" };
        var tokenId = OptionalIdOption("--token-id", "or the id of the token to revoke", "--token-id must be a token id (a UUID)");
        var revoke = new Command("revoke", "Revoke an API token, by its value or its id.") { tokenValue, tokenId };
        revoke.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, time, ct) =>
        {
            var value = parse.GetValue(tokenValue);
            var id = parse.GetValue(tokenId);
            if (value is null == id is null)
            {
                return Fail("give either --token or --token-id");
            }

            var hash = value is null ? null : Secrets.Hash(value);
            var row = await db.ApiTokens.FirstOrDefaultAsync(t => hash != null ? t.Hash == hash : t.Id == id, ct);
            if (row is null)
            {
                return Fail("no such token");
            }

            row.RevokedAt ??= time.GetUtcNow();
            await db.SaveChangesAsync(ct);
            return Print(new { token_id = row.Id, instance = row.InstanceId, revoked_at = row.RevokedAt });
        }, cancellationToken));

        command.Subcommands.Add(create);
        command.Subcommands.Add(revoke);
        return command;
    }

    public static Command Secret()
    {
        var command = new Command("secret", "Rotate a webhook signing secret; re-encrypt stored secrets after a key rotation.");
        var instanceId = InstanceIdOption();
        var rotate = new Command("rotate", "Replace an instance's webhook signing secret; prints the new one.") { instanceId };
        rotate.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, _, ct) =>
        {
            var instance = await db.Instances.FirstOrDefaultAsync(i => i.Id == parse.GetValue(instanceId), ct);
            if (instance is null)
            {
                return Fail("no such instance");
            }

            instance.WebhookSecret = Secrets.NewWebhookSecret();
            await db.SaveChangesAsync(ct);
            return Print(new { instance = instance.Id, webhook_secret = instance.WebhookSecret });
        }, cancellationToken));
        command.Subcommands.Add(rotate);

        var reencrypt = new Command("reencrypt",
            "Re-encrypt every stored secret under the first key of Passline:Secrets:Key (after adding a new key in front); then the old keys can be removed.");
        reencrypt.SetAction((parse, cancellationToken) => RunAsync(parse, async (db, _, ct) =>
        {
            var result = await SecretsReencryption.RunAsync(db, ct);
            return Print(new { rows = result.Rows, data_protection_keys = result.DataProtectionKeys });
        }, cancellationToken));
        command.Subcommands.Add(reencrypt);
        return command;
    }

    /// <summary>Checks an instance before it is stored; fills provider defaults. Null when it is fine.</summary>
    private static string? Validate(Instance instance, string[]? redirectOrigins)
    {
        if (instance.Name.Length is 0 or > 100)
        {
            return "--name must be 1 to 100 characters";
        }

        if (instance.Phone.Length == 0)
        {
            return "--phone must be a full international number: 7 to 15 digits, e.g. 201553730661";
        }

        if (!Providers.All.Contains(instance.Provider))
        {
            return $"--provider must be one of: {string.Join(", ", Providers.All)}";
        }

        if (!Localization.Languages.Supported.Contains(instance.Language, StringComparer.Ordinal))
        {
            return $"--language must be one of: {string.Join(", ", Localization.Languages.Supported)}";
        }

        if (redirectOrigins is not null)
        {
            var normalized = new List<string>();
            foreach (var origin in redirectOrigins)
            {
                if (InstanceAdmin.Origin(origin) is not { } o || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath is not ("/" or ""))
                {
                    return $"--redirect-origin {origin} is not an origin such as https://app.example.com";
                }

                normalized.Add(o);
            }

            instance.RedirectOrigins = [.. normalized.Distinct()];
        }

        var s = instance.Settings;
        if (s.ReplyStyle is not (null or ReplyStyles.Text or ReplyStyles.Button))
        {
            return "--reply-style must be text or button";
        }

        if (s.ButtonLabel is { } label && (label.Trim().Length is 0 || label.Length > ReplyStyles.MaxButtonLabel))
        {
            return $"--button-label must be 1 to {ReplyStyles.MaxButtonLabel} characters";
        }

        switch (instance.Provider)
        {
            case Providers.Waha:
                s.WahaSession ??= "default";
                if (s.WahaUrl is not null && !IsHttpUrl(s.WahaUrl))
                {
                    return "--waha-url must be an absolute http(s) URL, such as http://waha:3000";
                }

                if (s.WahaUrl is null || string.IsNullOrEmpty(s.WahaHmacKey))
                {
                    return "the waha provider needs --waha-url (http or https) and --waha-hmac-key";
                }

                break;
            case Providers.CloudApi:
                s.GraphUrl ??= "https://graph.facebook.com";
                s.GraphVersion ??= "v21.0";
                s.AuthTemplateLanguage ??= AuthTemplates.DefaultLanguage;
                if (!AuthTemplates.IsLocale(s.AuthTemplateLanguage))
                {
                    return $"--auth-template-language {s.AuthTemplateLanguage} is not a template language: a locale such as en_US, pt_BR or fr";
                }

                if (!IsHttpUrl(s.GraphUrl))
                {
                    return "--graph-url must be an absolute http(s) URL, such as https://graph.facebook.com";
                }

                if (!GraphVersion().IsMatch(s.GraphVersion))
                {
                    return "--graph-version must be a Graph API version such as v21.0";
                }

                if (string.IsNullOrEmpty(s.PhoneNumberId) || string.IsNullOrEmpty(s.AccessToken)
                    || string.IsNullOrEmpty(s.AppSecret) || string.IsNullOrEmpty(s.VerifyToken))
                {
                    return "the cloud-api provider needs --phone-number-id, --access-token, --app-secret and --verify-token";
                }

                break;
        }

        return null;
    }

    /// <summary>What an operator should know about a valid instance, on stderr.</summary>
    private static void Warn(Instance instance)
    {
        if (instance.Provider == Providers.CloudApi && string.IsNullOrEmpty(instance.Settings.AuthTemplate))
        {
            Console.Error.WriteLine(
                "warning: no --auth-template: request-code will answer 409 on this instance, because the Cloud API sends codes only as an authentication template.");
        }
    }

    [GeneratedRegex(@"^v\d+\.\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex GraphVersion();

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static Option<string> LanguageOption(bool defaults) => new("--language")
    {
        Description = $"default language of the pages and WhatsApp messages: {string.Join(", ", Localization.Languages.Supported)}{(defaults ? " (default: en)" : "")}",
    };

    private static Option<Guid> InstanceIdOption() => IdOption("--instance", "instance id", "--instance must be an instance id (a UUID)");

    /// <summary>An instance as the CLI shows it: settings that are not credentials, never a secret.</summary>

    private static object Describe(Instance i) => new
    {
        instance = i.Id,
        name = i.Name,
        phone = i.Phone,
        provider = i.Provider,
        redirect_origins = i.RedirectOrigins,
        language = i.Language,
        waha_url = i.Settings.WahaUrl,
        waha_session = i.Settings.WahaSession,
        graph_url = i.Settings.GraphUrl,
        graph_version = i.Settings.GraphVersion,
        phone_number_id = i.Settings.PhoneNumberId,
        auth_template = i.Settings.AuthTemplate,
        auth_template_language = i.Settings.AuthTemplateLanguage,
        reply_style = ReplyStyles.Of(i),
        button_label = i.Settings.ButtonLabel ?? ReplyStyles.DefaultButtonLabel,
        created_at = i.CreatedAt,
    };
}

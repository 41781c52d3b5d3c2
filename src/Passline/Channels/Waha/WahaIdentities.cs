using System.Text.Json;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Requests;

namespace Passline.Channels.Waha;

/// <summary>
/// Resolves a WAHA <c>@lid</c> sender to a phone number (SPEC 5): what the instance already knows, else
/// <c>GET {base}/api/{session}/lids/{lid}</c> (<c>{"lid", "pn"}</c>, <c>pn</c> null when WAHA does not know it) with a
/// short timeout. A failed lookup is no phone, never a failed webhook.
/// </summary>
public sealed class WahaIdentities(IHttpClientFactory httpClients, IdentityBook book, TimeProvider time, ILogger<WahaIdentities> logger)
{
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The phone of <paramref name="lid"/>, remembering <paramref name="phoneInMessage"/> when the message carried it (the
    /// phone beside an <c>@lid</c> sender, or a phone-number sender with its <c>@lid</c> beside it).
    /// </summary>
    public async Task<string?> ResolveAsync(Instance instance, string lid, string? phoneInMessage, CancellationToken cancellationToken)
    {
        if (phoneInMessage is not null)
        {
            await book.RememberAsync(instance.Id, lid, phoneInMessage, cancellationToken);
            return phoneInMessage;
        }

        if (await book.FindAsync(instance.Id, lid, cancellationToken) is { } known)
        {
            return known;
        }

        var phone = await LookUpAsync(instance.Settings, lid, cancellationToken);
        if (phone is not null)
        {
            await book.RememberAsync(instance.Id, lid, phone, cancellationToken);
        }

        return phone;
    }

    private async Task<string?> LookUpAsync(ProviderSettings settings, string lid, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.WahaUrl))
        {
            return null;
        }

        var session = Uri.EscapeDataString(settings.WahaSession ?? "default");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{settings.WahaUrl.TrimEnd('/')}/api/{session}/lids/{Uri.EscapeDataString(lid)}");
        if (!string.IsNullOrEmpty(settings.WahaApiKey))
        {
            request.Headers.Add("X-Api-Key", settings.WahaApiKey);
        }

        using var timeout = new CancellationTokenSource(LookupTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await httpClients.CreateClient(WhatsAppChannel.HttpClientName).SendAsync(request, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("WAHA lid lookup of {Lid} answered {StatusCode}", lid, (int)response.StatusCode);
                return null;
            }

            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(linked.Token), cancellationToken: linked.Token);
            var pn = ProviderJson.Text(json.RootElement, "pn");
            return pn is null ? null : ChatId.Normalize(pn) is { } chatId ? ChatId.Phone(chatId) : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("WAHA lid lookup of {Lid} failed: {Error}", lid, e.GetType().Name);
            return null;
        }
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Passline.Client;

/// <summary>
/// Typed calls to one Passline instance's API (<c>/api/otp/v2/{instance}</c>). Each call returns the answer's
/// <c>data</c>; any non-2xx answer throws <see cref="PasslineApiException"/>. Network failures and timeouts
/// surface as the <see cref="HttpClient"/>'s own exceptions.
/// </summary>
/// <remarks>
/// The client is thread-safe and keeps no state besides its settings. It does not own the
/// <see cref="HttpClient"/>, which may be shared (for example from <c>IHttpClientFactory</c>): the bearer token
/// is set on each request, never on the client's default headers.
/// </remarks>
public sealed class PasslineClient
{
    private readonly HttpClient http;
    private readonly Uri apiBase;
    private readonly string apiToken;

    /// <summary>A client for one instance.</summary>
    /// <param name="httpClient">
    /// An <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is Passline's base URL, such as
    /// <c>https://passline.example.com</c>. A path in it (<c>https://example.com/passline</c>) is kept as a prefix.
    /// </param>
    /// <param name="instance">The instance's id.</param>
    /// <param name="apiToken">An API token of that instance.</param>
    public PasslineClient(HttpClient httpClient, Guid instance, string apiToken)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiToken);
        if (httpClient.BaseAddress is not { IsAbsoluteUri: true } baseAddress)
        {
            throw new ArgumentException("The HttpClient's BaseAddress must be set to Passline's base URL.", nameof(httpClient));
        }

        // Without the trailing slash, relative resolution would drop the last segment of a path prefix.
        var root = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        apiBase = new Uri(root, $"api/otp/v2/{instance:D}/");
        http = httpClient;
        this.apiToken = apiToken;
    }

    /// <summary><c>POST /generate-link</c>: a WhatsApp magic link. Without a request, every server default applies.</summary>
    public Task<GeneratedLink> GenerateLinkAsync(GenerateLinkRequest? request = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "generate-link",
            JsonBody(request ?? new GenerateLinkRequest(), PasslineJson.Default.GenerateLinkRequest),
            PasslineJson.Default.GeneratedLinkEnvelope, cancellationToken);

    /// <summary><c>POST /request-code</c>: sends a code to a WhatsApp user.</summary>
    public Task<RequestedCode> RequestCodeAsync(RequestCodeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(HttpMethod.Post, "request-code", JsonBody(request, PasslineJson.Default.RequestCodeRequest),
            PasslineJson.Default.RequestedCodeEnvelope, cancellationToken);
    }

    /// <summary>
    /// <c>POST /validate-code</c>: checks the code a user typed. A wrong, expired or used code is a 422
    /// <see cref="PasslineApiException"/> whose message says which.
    /// </summary>
    public Task<ValidatedCode> ValidateCodeAsync(string chatId, string code, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(chatId);
        ArgumentNullException.ThrowIfNull(code);
        return SendAsync(HttpMethod.Post, "validate-code", JsonBody(new ValidateCodeBody(chatId, code), PasslineJson.Default.ValidateCodeBody),
            PasslineJson.Default.ValidatedCodeEnvelope, cancellationToken);
    }

    /// <summary><c>GET /requests/{uuid}</c>: a request's state, including its callback delivery.</summary>
    public Task<OtpRequestDetails> GetRequestAsync(Guid uuid, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"requests/{uuid:D}", null, PasslineJson.Default.OtpRequestDetailsEnvelope, cancellationToken);

    /// <summary>
    /// <c>POST /requests/{uuid}/cancel</c>: ends an open request as failed (reason <c>cancelled</c>).
    /// A request that has already ended is a 409 <see cref="PasslineApiException"/>.
    /// </summary>
    public Task<OtpRequestDetails> CancelAsync(Guid uuid, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"requests/{uuid:D}/cancel", null, PasslineJson.Default.OtpRequestDetailsEnvelope, cancellationToken);

    /// <summary>
    /// <c>POST /exchange</c>: redeems the one-time <c>otp_token</c> the browser brought back after Verify, for the
    /// verified identity. A token works once: redeeming it again is a 410 <see cref="PasslineApiException"/>.
    /// </summary>
    public Task<VerifiedIdentity> ExchangeAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return SendAsync(HttpMethod.Post, "exchange", JsonBody(new ExchangeBody(token), PasslineJson.Default.ExchangeBody),
            PasslineJson.Default.VerifiedIdentityEnvelope, cancellationToken);
    }

    /// <summary>
    /// <c>GET /stats?from=&amp;to=</c>: the instance's monitoring figures for a period (either end open when null).
    /// Returned as raw JSON because the shape of the figures is not final yet; a typed result will replace it.
    /// </summary>
    public Task<JsonElement> GetStatsAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>(2);
        if (from is { } start)
        {
            query.Add("from=" + Uri.EscapeDataString(Timestamp(start)));
        }

        if (to is { } end)
        {
            query.Add("to=" + Uri.EscapeDataString(Timestamp(end)));
        }

        var path = query.Count == 0 ? "stats" : "stats?" + string.Join('&', query);
        return SendAsync(HttpMethod.Get, path, null, PasslineJson.Default.JsonElementEnvelope, cancellationToken);
    }

    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, HttpContent? content, JsonTypeInfo<ApiEnvelope<T>> envelopeType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(apiBase, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await PasslineApiException.FromErrorResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        ApiEnvelope<T>? envelope;
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                envelope = await JsonSerializer.DeserializeAsync(body, envelopeType, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException e)
        {
            throw PasslineApiException.UnexpectedBody(response, e);
        }

        if (envelope is null || envelope.Data is null)
        {
            throw PasslineApiException.UnexpectedBody(response, null);
        }

        return envelope.Data;
    }

    private static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> type)
    {
        // Buffered, so the request has a Content-Length and the server's size check can answer before reading.
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The API's timestamp form: UTC, second precision, explicit offset.</summary>
    private static string Timestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);
}

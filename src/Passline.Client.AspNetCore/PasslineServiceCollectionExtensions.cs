using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Passline.Client;

/// <summary>Registers <see cref="PasslineClient"/> and <see cref="CallbackVerifier"/> in an application's services.</summary>
public static class PasslineServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the factory builds for Passline.</summary>
    public const string HttpClientName = "Passline";

    /// <summary>
    /// Adds <see cref="PasslineClient"/> (transient, on an <see cref="IHttpClientFactory"/> client with the standard
    /// resilience handler) and <see cref="CallbackVerifier"/>, configured from the configuration section
    /// <paramref name="sectionPath"/> (<c>BaseAddress</c>, <c>Instance</c>, <c>ApiToken</c>, <c>WebhookSecret</c>).
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="sectionPath">The configuration section; default <c>Passline</c>.</param>
    /// <returns>The HTTP client's builder, to add handlers or change the resilience settings.</returns>
    public static IHttpClientBuilder AddPasslineClient(this IServiceCollection services, string sectionPath = "Passline")
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PasslineClientOptions>().BindConfiguration(sectionPath);
        return AddCore(services);
    }

    /// <summary>
    /// Adds <see cref="PasslineClient"/> (transient, on an <see cref="IHttpClientFactory"/> client with the standard
    /// resilience handler) and <see cref="CallbackVerifier"/>, configured by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options; it runs when the client is first needed, not at registration.</param>
    /// <returns>The HTTP client's builder, to add handlers or change the resilience settings.</returns>
    public static IHttpClientBuilder AddPasslineClient(this IServiceCollection services, Action<PasslineClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PasslineClientOptions>().Configure(configure);
        return AddCore(services);
    }

    private static IHttpClientBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<PasslineClientOptions>()
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "Passline:BaseAddress must be Passline's absolute base URL.")
            .Validate(o => o.Instance != Guid.Empty, "Passline:Instance must be the instance's id.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ApiToken), "Passline:ApiToken must be an API token of the instance.");

        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PasslineClientOptions>>().Value;
            return string.IsNullOrWhiteSpace(options.WebhookSecret)
                ? throw new InvalidOperationException("Passline:WebhookSecret is not set: callbacks cannot be verified.")
                : new CallbackVerifier(options.WebhookSecret, options.CallbackTolerance, provider.GetService<TimeProvider>());
        });

        services.TryAddTransient(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PasslineClientOptions>>().Value;
            var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            return new PasslineClient(http, options.Instance, options.ApiToken!);
        });

        var builder = services.AddHttpClient(HttpClientName, (provider, http) =>
            http.BaseAddress = provider.GetRequiredService<IOptions<PasslineClientOptions>>().Value.BaseAddress);

        // Retries (timeouts, 5xx, 429 with Retry-After) only for GET: a POST whose answer was lost may have taken
        // effect (an exchanged token answers 410 the second time, a repeated generate-link makes a second link).
        builder.AddStandardResilienceHandler(o => o.Retry.DisableForUnsafeHttpMethods());
        return builder;
    }
}

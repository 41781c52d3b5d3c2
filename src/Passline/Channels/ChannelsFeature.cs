using Passline.Channels.CloudApi;
using Passline.Channels.Simulator;
using Passline.Channels.Waha;
using Passline.Outbox;

namespace Passline.Channels;

public static class ChannelsFeature
{
    /// <summary>The WhatsApp outbox and its HTTP client; the simulator's switch (on in Development).</summary>
    public static WebApplicationBuilder AddChannels(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<SimulatorOptions>().Configure(o => o.Enabled = development).BindConfiguration(SimulatorOptions.Section).ValidateOnStart();
        // A provider that answers with a redirect is refused, not followed: following would send the API key (WAHA's is a
        // header of its own, which redirects keep) and the message with its link or code to wherever the answer points.
        builder.Services.AddHttpClient(WhatsAppChannel.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        builder.Services.AddOutboxChannel<OutboundMessage, WhatsAppChannel>();
        builder.Services.AddScoped<WahaIdentities>();
        builder.Services.AddScoped<DeliveryReports>();
        builder.Services.AddSingleton<SimulatorMailbox>();
        return builder;
    }

    /// <summary>The providers' webhooks, and the simulator with its phone.</summary>
    public static IEndpointRouteBuilder MapChannels(this IEndpointRouteBuilder app) =>
        app.MapSimulator().MapSimulatedPhone().MapWahaWebhook().MapCloudApiWebhook();
}

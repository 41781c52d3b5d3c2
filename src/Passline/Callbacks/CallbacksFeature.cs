using Passline.Outbox;

namespace Passline.Callbacks;

public static class CallbacksFeature
{
    /// <summary>The callback outbox, sent through a client that only connects where the network guard allows.</summary>
    public static WebApplicationBuilder AddCallbacks(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<CallbackOptions>().Configure(o => o.AllowPrivateNetworks = development).BindConfiguration(CallbackOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<CallbackResolver>();
        builder.Services.AddSingleton<HostAddresses>();
        builder.Services.AddSingleton<GuardedConnect>();
        builder.Services.AddHttpClient(CallbackChannel.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false, // the guard must see the receiver's address, not a proxy's
                UseCookies = false,
                ConnectCallback = services.GetRequiredService<GuardedConnect>().ConnectAsync,
            });
        builder.Services.AddOutboxChannel<CallbackDelivery, CallbackChannel>();
        return builder;
    }
}

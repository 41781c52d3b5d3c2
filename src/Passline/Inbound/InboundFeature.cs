namespace Passline.Inbound;

public static class InboundFeature
{
    public static WebApplicationBuilder AddInbound(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<InboundProcessor>();
        builder.Services.AddScoped<IdentityBook>();
        return builder;
    }
}

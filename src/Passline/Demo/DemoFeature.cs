namespace Passline.Demo;

public static class DemoFeature
{
    /// <summary>On first start in Development, the demo instance (SPEC 8).</summary>
    public static WebApplicationBuilder AddDemo(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<DemoInstance>();
        return builder;
    }
}

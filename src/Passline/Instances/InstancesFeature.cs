namespace Passline.Instances;

public static class InstancesFeature
{
    public static WebApplicationBuilder AddInstances(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<InstanceCache>();
        return builder;
    }
}

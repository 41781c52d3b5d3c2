using Microsoft.Extensions.Options;

namespace Passline.Hosting;

/// <summary>A configuration mistake found at start: the process stops with its message (naming the key), not a stack trace.</summary>
public sealed class ConfigurationException(string message) : Exception(message)
{
    /// <summary>
    /// The message of a failure that is a configuration mistake, wherever it was wrapped: this exception, an options
    /// validation, or a value the configuration binder could not convert ("Failed to convert configuration value 'abc' at
    /// 'Passline:RateLimits:PerChat' to type 'System.Int32'."). Null for anything else, which keeps its stack trace.
    /// </summary>
    public static string? MessageOf(Exception? e) => e switch
    {
        null => null,
        ConfigurationException or OptionsValidationException => e.Message,
        InvalidOperationException when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => e.Message,
        AggregateException aggregate => aggregate.InnerExceptions.Select(MessageOf).FirstOrDefault(m => m is not null),
        _ => MessageOf(e.InnerException),
    };

    /// <summary>
    /// Reads every setting registered with <c>ValidateOnStart</c> now, before the host starts: a mistake then stops the
    /// process with its message alone, where a starting host would first log it as a failure with its stack trace.
    /// </summary>
    public static void ValidateSettings(IServiceProvider services) => services.GetService<IStartupValidator>()?.Validate();
}

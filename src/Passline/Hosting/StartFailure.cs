using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Passline.Hosting;

/// <summary>
/// A server that cannot listen where <c>Urls</c> says (the port is taken, an https URL without a certificate) stops the
/// process with one line that says so, like a configuration mistake. Kestrel's exception, thrown out of the host's
/// start, would be logged with its stack trace and race the workers already started; so the server stops the
/// application in the usual order instead, and Program prints the message (<see cref="ThrowIfFailed"/>).
/// </summary>
public sealed class StartFailure
{
    private string? message;

    /// <summary>Puts the reporting server in front of the one registered (Kestrel).</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<StartFailure>();
        if (services.LastOrDefault(d => d.ServiceType == typeof(IServer)) is { } server)
        {
            services.Replace(ServiceDescriptor.Singleton<IServer>(services => new ReportingServer(
                Create(services, server), services.GetRequiredService<StartFailure>(), services.GetRequiredService<IHostApplicationLifetime>())));
        }
    }

    /// <summary>After the host has stopped: throws the reason the server could not listen, if it could not.</summary>
    public void ThrowIfFailed()
    {
        if (message is not null)
        {
            throw new ConfigurationException(message);
        }
    }

    private static IServer Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IServer)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private sealed class ReportingServer(IServer server, StartFailure failure, IHostApplicationLifetime lifetime) : IServer
    {
        public IFeatureCollection Features => server.Features;

        public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull
        {
            try
            {
                await server.StartAsync(application, cancellationToken);
            }
            catch (IOException e)
            {
                Fail($"cannot listen on Urls: {e.Message}");
            }
            catch (InvalidOperationException e)
            {
                // Kestrel's message goes on with how to make a developer certificate: not what a server wants.
                Fail($"cannot listen on Urls: {e.Message.Split('\n')[0].Trim()} Give one with Kestrel:Certificates:Default:Path "
                    + "(and :Password or :KeyPath), or listen on http behind a proxy that terminates TLS.");
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);

        public void Dispose() => server.Dispose();

        private void Fail(string message)
        {
            failure.message = message;
            lifetime.StopApplication();
        }
    }
}

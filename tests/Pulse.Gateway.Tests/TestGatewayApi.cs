using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pulse.Gateway.Api.Hosting;
using Pulse.Runtime;

namespace Pulse.Gateway.Tests;

/// <summary>The gateway API on real Kestrel at a free loopback port, over the grains a test provides.</summary>
public static class TestGatewayApi
{
    /// <summary>
    /// Starts the API with <paramref name="settings"/> as its configuration; <paramref name="logs"/> (when given)
    /// receives every log, <paramref name="services"/> adds to the services and <paramref name="map"/> maps test endpoints.
    /// </summary>
    public static async Task<WebApplication> StartAsync(
        IGrainFactory grains,
        IDictionary<string, string?> settings,
        ILoggerProvider? logs = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddSingleton(grains);
        builder.Services.AddPulseGatewayApi(builder.Configuration);
        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        app.UsePulseGatewayApi();
        app.MapPulseGatewayApi();
        map?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>Where <paramref name="app"/> listens.</summary>
    public static Uri BaseAddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}

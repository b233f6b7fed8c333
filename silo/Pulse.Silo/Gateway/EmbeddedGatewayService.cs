using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;
using Pulse.Runtime;
using Pulse.Runtime.Storage;
using Pulse.Silo.Hosting;

namespace Pulse.Silo.Gateway;

/// <summary>
/// Serves the gateway API from the silo process (single node): a second Kestrel web application on
/// <see cref="SiloHostOptions.EffectiveGatewayUrl"/> that calls this silo's grains directly. Registered
/// after the silo, so it starts once the silo runs and stops before the silo shuts down.
/// </summary>
internal sealed partial class EmbeddedGatewayService(
    IServiceProvider siloServices,
    IConfiguration configuration,
    IOptions<SiloHostOptions> options,
    ILoggerFactory loggerFactory,
    ILogger<EmbeddedGatewayService> logger) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);
    private WebApplication? _app;

    /// <summary>The URL the API listens on once started; null when it is off.</summary>
    public string? Url { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        SiloHostOptions host = options.Value;
        string? url = host.EffectiveGatewayUrl;
        if (url is null)
        {
            LogDisabled(logger);
            return;
        }

        (string adminKey, AdminKeySource source, string keyPath) = AdminKeyFile.Resolve(configuration["Pulse:Gateway:AdminKey"], host.DataDirectory);
        WebApplication app = Build(url, adminKey);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException exception) when (host.GatewayUrl is null)
        {
            // Only the default URL was in play (nobody asked for a gateway): a busy port must not stop the silo.
            LogDefaultPortBusy(logger, url, exception.Message);
            await app.DisposeAsync();
            return;
        }

        _app = app;
        Url = url;
        LogStarted(logger, url, source.ToString(), keyPath);
        Console.WriteLine($"Pulse gateway API: {url} (API: {url}/api/v1, OpenAPI: {url}/openapi/v1.json, health: {url}/health/ready).");
        Console.WriteLine(source switch
        {
            AdminKeySource.Generated => $"Pulse admin key (generated now and saved to {keyPath}; shown only this once): {adminKey}",
            AdminKeySource.File => $"Pulse admin key: in {keyPath}.",
            _ => "Pulse admin key: from PULSE_ADMIN_KEY (Pulse:Gateway:AdminKey).",
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
        {
            return;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(s_stopTimeout);
        await _app.StopAsync(limit.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    private WebApplication Build(string url, string adminKey)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        // A copy of the Pulse section, not the silo's configuration itself: settings this builder writes
        // (UseUrls sets "urls" on every source) would otherwise move the silo's own HTTP endpoint.
        builder.Configuration.AddInMemoryCollection(configuration.GetSection("Pulse").AsEnumerable());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pulse:Gateway:AdminKey"] = adminKey,
            ["Pulse:Gateway:AdminKeyHint"] = $"Set PULSE_ADMIN_KEY or use the key in the data directory's {AdminKeyFile.FileName} file.",
        });
        builder.WebHost.UseUrls(url);

        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();

        // One set of log providers for the whole process: the silo's.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);

        Pulse.Runtime.Hosting.Silo silo = siloServices.GetRequiredService<Pulse.Runtime.Hosting.Silo>();
        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton(siloServices.GetRequiredService<IGrainFactory>());
        builder.Services.AddSingleton(siloServices.GetRequiredService<TimeProvider>());
        builder.Services.AddPulseGatewayApi(builder.Configuration);
        builder.Services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [GatewayHealthTags.Live])
            .AddCheck<SiloReadinessCheck>("silo", tags: [GatewayHealthTags.Ready])
            .AddCheck("storage", new StorageReachableCheck(siloServices.GetRequiredKeyedService<IGrainStorage>("Default")), tags: [GatewayHealthTags.Ready]);

        WebApplication app = builder.Build();
        app.UsePulseGatewayApi();
        app.MapPulseGatewayApi();
        return app;
    }

    [LoggerMessage(EventId = 9510, Level = LogLevel.Information, Message = "Embedded gateway API off (Pulse:Silo:GatewayUrl empty, or a cluster member without one)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 9511, Level = LogLevel.Information, Message = "Embedded gateway API listening on {Url}; admin key source {Source} ({KeyPath})")]
    private static partial void LogStarted(ILogger logger, string url, string source, string keyPath);

    [LoggerMessage(EventId = 9512, Level = LogLevel.Warning, Message = "Embedded gateway API not started: its default URL {Url} is busy ({Reason}); set PULSE_GATEWAY_URL to another port")]
    private static partial void LogDefaultPortBusy(ILogger logger, string url, string reason);
}

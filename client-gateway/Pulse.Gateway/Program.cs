using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Hosting;
using Pulse.Runtime.Configuration;

// The gateway calls grains through a cluster client; its REST API arrives with the services built on it.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);

// PULSE_* variables sit above appsettings and Pulse__* variables; command-line arguments stay on top.
builder.Configuration.AddInMemoryCollection(GatewayEnvironment.Read(Environment.GetEnvironmentVariable));
builder.Configuration.AddCommandLine(args);

builder.Services.AddPulseGateway(builder.Configuration);
GatewayOptions gatewayOptions = builder.Configuration.GetSection("Pulse:Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
builder.WebHost.UseUrls(gatewayOptions.Url);

WebApplication app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(GatewayHostExtensions.LiveTag) });
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = check => check.Tags.Contains(GatewayHostExtensions.ReadyTag),
    ResponseWriter = Pulse.Runtime.Hosting.HealthResponses.WriteJsonAsync,
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    GatewayOptions options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
    ClusterOptions? cluster = options.HasCluster ? app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value : null;
    GatewayHostExtensions.LogSettings(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pulse.Gateway"), options, cluster);
    string clusterText = cluster is null ? "no cluster (set PULSE_POSTGRES)" : $"cluster {cluster.ClusterId}";
    Console.WriteLine($"Pulse gateway started. HTTP: {options.Url} (health: {options.Url}/health/live, {options.Url}/health/ready). {clusterText}.");
});

app.Run();

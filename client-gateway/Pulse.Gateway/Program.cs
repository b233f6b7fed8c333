using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Hosting;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Hosting;

// Before any socket exists: .NET reads this switch once (see SocketEngineDefaults).
SocketEngineDefaults.PreferInlineCompletions();

// Before the host starts its threads, which inherit the slice (see ThreadSliceDefaults).
ThreadSliceOutcome threadSlices = ThreadSliceDefaults.PreferShortSlices();

// The gateway turns REST calls into grain calls through a cluster client.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);

// Log levels that hold whatever folder the host starts in; appsettings.json and variables override them.
builder.Configuration.AddPulseLoggingDefaults();

// PULSE_* variables sit above appsettings and Pulse__* variables; command-line arguments stay on top.
builder.Configuration.AddInMemoryCollection(GatewayEnvironment.Read(Environment.GetEnvironmentVariable));
builder.Configuration.AddCommandLine(args);

builder.Services.AddPulseGateway(builder.Configuration);
builder.Services.AddPulseGatewayApi(builder.Configuration);
GatewayOptions gatewayOptions = builder.Configuration.GetSection("Pulse:Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
builder.WebHost.UseUrls(gatewayOptions.Url);

WebApplication app = builder.Build();

// The REST API, OpenAPI and the health endpoints (backed by the cluster checks AddPulseGateway registered).
app.UsePulseGatewayApi();
app.MapPulseGatewayApi();

app.Lifetime.ApplicationStarted.Register(() =>
{
    ThreadSliceDefaults.Log(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pulse.Gateway"), threadSlices);
    GatewayOptions options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
    ClusterOptions? cluster = options.HasCluster ? app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value : null;
    GatewayHostExtensions.LogSettings(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pulse.Gateway"), options, cluster);
    string clusterText = cluster is null ? "no cluster (set PULSE_POSTGRES)" : $"cluster {cluster.ClusterId}";
    bool admin = app.Services.GetRequiredService<IOptions<GatewayApiOptions>>().Value.AdminEnabled;
    string adminText = admin ? "admin routes enabled" : "admin routes disabled (set PULSE_ADMIN_KEY)";
    Console.WriteLine($"Pulse gateway started. HTTP: {options.Url} (API: {options.Url}/api/v1, OpenAPI: {options.Url}/openapi/v1.json, health: {options.Url}/health/live, {options.Url}/health/ready). {clusterText}; {adminText}.");
});

app.Run();

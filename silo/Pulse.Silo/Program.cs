using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Hosting;
using Pulse.Silo.Gateway;
using Pulse.Silo.Hosting;

// Before any socket exists: .NET reads this switch once (see SocketEngineDefaults).
SocketEngineDefaults.PreferInlineCompletions();

// Before the host starts its threads, which inherit the slice (see ThreadSliceDefaults).
ThreadSliceOutcome threadSlices = ThreadSliceDefaults.PreferShortSlices();

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);

// Log levels that hold whatever folder the host starts in; appsettings.json and variables override them.
builder.Configuration.AddPulseLoggingDefaults();

// PULSE_* variables sit above appsettings and Pulse__* variables; command-line arguments stay on top.
builder.Configuration.AddInMemoryCollection(PulseEnvironment.Read(Environment.GetEnvironmentVariable));
builder.Configuration.AddCommandLine(args);

builder.Services.AddPulseSiloHost(builder.Configuration);

// The gateway API on its own URL (single node by default); registered after the silo so it starts after it.
builder.Services.AddPulseSiloGateway();
SiloHostOptions siloOptions = builder.Configuration.GetSection("Pulse:Silo").Get<SiloHostOptions>() ?? new SiloHostOptions();
builder.WebHost.UseUrls(siloOptions.HttpUrl);
if (siloOptions.EffectiveStorage == SiloStorageProvider.Sqlite)
{
    Directory.CreateDirectory(Path.GetFullPath(siloOptions.DataDirectory));
}

WebApplication app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(SiloHostExtensions.LiveTag) });
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = check => check.Tags.Contains(SiloHostExtensions.ReadyTag),
    ResponseWriter = Pulse.Runtime.Hosting.HealthResponses.WriteJsonAsync,
});
app.MapGet("/", (IOptions<SiloHostOptions> options) => Results.Text(
    $"Pulse silo\nhealth: {options.Value.HttpUrl}/health/live, {options.Value.HttpUrl}/health/ready\nstorage: {options.Value.EffectiveStorage}\nmembership: {options.Value.EffectiveMembership}\n"));

app.Lifetime.ApplicationStarted.Register(() =>
{
    ThreadSliceDefaults.Log(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pulse.Silo"), threadSlices);
    string storage = siloOptions.EffectiveStorage switch
    {
        SiloStorageProvider.Sqlite => $"SQLite at {siloOptions.SqlitePath}",
        SiloStorageProvider.Postgres => "PostgreSQL",
        _ => "memory (not durable)",
    };
    Pulse.Runtime.Hosting.Silo silo = app.Services.GetRequiredService<Pulse.Runtime.Hosting.Silo>();
    string cluster = siloOptions.IsClusterMember
        ? $"Cluster: {siloOptions.EffectiveMembership} membership, silo address {silo.SiloAddress} ({silo.ClusterStatus})."
        : "Cluster: none (single silo).";
    Console.WriteLine($"Pulse silo started. HTTP: {siloOptions.HttpUrl} (health: {siloOptions.HttpUrl}/health/live). Storage: {storage}. {cluster} Ctrl+C stops it gracefully.");
});

app.Run();

/// <summary>Entry point type, visible to tests.</summary>
public partial class Program;

using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Hosting;

namespace Pulse.Runtime.Tests.Hosting;

public sealed class HostLoggingDefaultsTests : IDisposable
{
    // A content root with no appsettings.json: a host started from a folder other than its binaries'.
    private readonly string _emptyFolder = Directory.CreateTempSubdirectory("pulse-logging-").FullName;

    public void Dispose() => Directory.Delete(_emptyFolder, recursive: true);

    [Fact]
    public async Task AHostWithoutAppSettingsDoesNotLogEachRequest()
    {
        await using WebApplication app = Build(overrides: null);
        ILoggerFactory loggers = app.Services.GetRequiredService<ILoggerFactory>();

        // Off at every level: enabled at all, it costs an Activity and a scope per request.
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical));
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Pulse.Runtime.Hosting.Silo").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Pulse.Runtime.Hosting.Silo").IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public async Task ConfigurationAddedLaterOverridesTheDefaults()
    {
        await using WebApplication app = Build(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
            [$"Logging:LogLevel:{HostLoggingDefaults.RequestLogCategory}"] = "Information",
            ["Logging:LogLevel:Default"] = "Debug",
        });
        ILoggerFactory loggers = app.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Pulse.Runtime.Hosting.Silo").IsEnabled(LogLevel.Debug));
    }

    private WebApplication Build(Dictionary<string, string?>? overrides)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = _emptyFolder });
        builder.Configuration.AddPulseLoggingDefaults();
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Pulse.Runtime.Hosting;

/// <summary>
/// The log levels every Pulse host starts from, wherever it is started. A host reads
/// <c>appsettings.json</c> from its working folder, and a silo or gateway started from any other
/// folder (a script, a service manager, a container with another working directory) would otherwise
/// log every HTTP request at Information: one line per request is the console logger's whole budget
/// under load, and at a few thousand requests a second it takes a core of its own.
/// </summary>
public static class HostLoggingDefaults
{
    // Microsoft.AspNetCore at Warning, everything else at Information, and the per-request hosting
    // category off. While that category is enabled at any level, ASP.NET Core starts an Activity and a
    // logging scope for every request whether or not anything is ever written: about a tenth of a small
    // request's cost. It only logs request starts and ends (Information and Debug); a failed start is
    // still logged by Microsoft.Extensions.Hosting and rethrown.
    private static readonly Dictionary<string, string?> Values = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:" + RequestLogCategory] = "None",
    };

    /// <summary>The category that logs each HTTP request; set it to Information to see them.</summary>
    public const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Adds the default log levels as the lowest-priority configuration source, so <c>appsettings.json</c>,
    /// <c>Logging__LogLevel__*</c> variables and command-line arguments still override each level.
    /// </summary>
    public static IConfigurationBuilder AddPulseLoggingDefaults(this IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Values });
        return configuration;
    }
}

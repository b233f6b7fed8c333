using Microsoft.Extensions.Options;

namespace Pulse.Gateway.Hosting;

/// <summary>
/// Settings of the gateway process, bound from the <c>Pulse:Gateway</c> section and from the short
/// <c>PULSE_*</c> variables in <see cref="GatewayEnvironment"/>.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>Default <see cref="Url"/>: loopback only, so a fresh start exposes nothing.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Default <see cref="SiloStaleAfter"/>: 10 seconds (five missed 2 s heartbeats).</summary>
    public static readonly TimeSpan DefaultSiloStaleAfter = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="ReadinessTimeout"/>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultReadinessTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Where the gateway listens: the REST API, OpenAPI document and health endpoints.</summary>
    public string Url { get; set; } = DefaultUrl;

    /// <summary>
    /// The cluster's PostgreSQL database (membership table). Without it the gateway joins no cluster and
    /// is never ready. A secret: never logged in clear.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// An Active row whose heartbeat is older than this does not count as a silo for readiness: after a
    /// whole cluster was killed nobody is left to declare the rows Dead. Allow for clock skew between hosts.
    /// </summary>
    public TimeSpan SiloStaleAfter { get; set; } = DefaultSiloStaleAfter;

    /// <summary>Longest time the readiness probe waits for the membership table.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = DefaultReadinessTimeout;

    /// <summary>Whether a cluster is configured.</summary>
    public bool HasCluster => !string.IsNullOrWhiteSpace(PostgresConnectionString);
}

/// <summary>Validates <see cref="GatewayOptions"/> at start-up.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"Pulse:Gateway:Url (PULSE_GATEWAY_URL) must be an absolute http(s) URL; got '{options.Url}'.");
        }

        if (options.SiloStaleAfter <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Gateway:SiloStaleAfter must be positive.");
        }

        if (options.ReadinessTimeout <= TimeSpan.Zero || options.ReadinessTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add("Pulse:Gateway:ReadinessTimeout must be between 0 and 30 seconds.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Maps the short <c>PULSE_*</c> variables the gateway understands onto configuration keys; they
/// override appsettings and <c>Pulse__*</c> variables, command-line arguments override them.
/// </summary>
public static class GatewayEnvironment
{
    /// <summary>Each short variable and the configuration key it sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>
    {
        ["PULSE_GATEWAY_URL"] = "Pulse:Gateway:Url",
        ["PULSE_POSTGRES"] = "Pulse:Gateway:PostgresConnectionString",
        ["PULSE_SERVICE_ID"] = "Pulse:Cluster:ServiceId",
        ["PULSE_CLUSTER_ID"] = "Pulse:Cluster:ClusterId",
        ["PULSE_ADMIN_KEY"] = "Pulse:Gateway:AdminKey",
    };

    /// <summary>Reads the variables that are set.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Read(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        foreach ((string variable, string key) in Variables)
        {
            string? value = getVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                yield return new KeyValuePair<string, string?>(key, value);
            }
        }
    }
}

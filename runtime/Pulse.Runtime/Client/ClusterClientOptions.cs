using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Client;

/// <summary>Settings of a cluster client (a node that calls grains but hosts none, such as the gateway).</summary>
public sealed class ClusterClientOptions
{
    /// <summary>Default <see cref="TableRefreshPeriod"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultTableRefreshPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How often the client reads the membership table to follow view changes.</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = DefaultTableRefreshPeriod;

    /// <summary>This client's id in connection preambles and logs; defaults to host name and process id.</summary>
    public string ClientId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}

/// <summary>Validates <see cref="ClusterClientOptions"/> at start-up.</summary>
public sealed class ClusterClientOptionsValidator : IValidateOptions<ClusterClientOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterClientOptions options)
    {
        List<string> failures = [];
        if (options.TableRefreshPeriod <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Client:TableRefreshPeriod must be positive.");
        }

        if (string.IsNullOrWhiteSpace(options.ClientId) || options.ClientId.Length > 256)
        {
            failures.Add("Pulse:Client:ClientId must have 1 to 256 characters.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

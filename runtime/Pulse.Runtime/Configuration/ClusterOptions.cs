using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Configuration;

/// <summary>Identifies the deployment: the service (whose stored state survives redeployments) and the cluster.</summary>
public sealed class ClusterOptions
{
    /// <summary>Default <see cref="ServiceId"/>.</summary>
    public const string DefaultServiceId = "pulse";

    /// <summary>Default <see cref="ClusterId"/>.</summary>
    public const string DefaultClusterId = "dev";

    /// <summary>
    /// The service whose grains' state is stored; part of every storage key, so two services can share
    /// a database. Keep it stable across deployments.
    /// </summary>
    public string ServiceId { get; set; } = DefaultServiceId;

    /// <summary>The cluster; silos only talk to silos with the same cluster id.</summary>
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>This node's human-readable name in the membership table and logs (pod name, "silo-2").</summary>
    public string SiloName { get; set; } = Environment.MachineName;

    /// <summary>The port of this silo's HTTP endpoint, published in the membership table; 0 when unknown.</summary>
    public int HttpPort { get; set; }
}

/// <summary>Validates <see cref="ClusterOptions"/> at start-up.</summary>
public sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    /// <summary>Longest id accepted.</summary>
    public const int MaxIdLength = 128;

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        List<string> failures = [];
        Check(options.ServiceId, nameof(options.ServiceId), failures);
        Check(options.ClusterId, nameof(options.ClusterId), failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string? value, string name, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"Pulse:Cluster:{name} must not be empty.");
        }
        else if (value.Length > MaxIdLength)
        {
            failures.Add($"Pulse:Cluster:{name} must have at most {MaxIdLength} characters.");
        }
    }
}

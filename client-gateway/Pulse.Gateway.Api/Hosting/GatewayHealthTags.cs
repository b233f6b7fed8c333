namespace Pulse.Gateway.Api.Hosting;

/// <summary>
/// Tags of the health checks behind <c>/health/live</c> and <c>/health/ready</c>: the host registers
/// its checks with these tags (the readiness source), the API maps the endpoints.
/// </summary>
public static class GatewayHealthTags
{
    /// <summary>Checks that say whether the process is alive.</summary>
    public const string Live = "live";

    /// <summary>Checks that say whether the API can serve calls (grains reachable).</summary>
    public const string Ready = "ready";
}

namespace Pulse.Runtime.Membership;

/// <summary>What the membership agent writes about the silo it runs in (checked when the agent is created).</summary>
/// <param name="Address">The silo's identity (silo-to-silo endpoint and generation).</param>
/// <param name="SiloName">A human-readable name (pod name, "silo-2").</param>
/// <param name="HostName">The host the process runs on.</param>
/// <param name="ClientPort">The gateway port clients connect to; 0 when the silo accepts no clients.</param>
/// <param name="HttpPort">The port of the silo's HTTP endpoint; 0 when none.</param>
public sealed record LocalSiloDetails(SiloAddress Address, string SiloName, string HostName, int ClientPort, int HttpPort);

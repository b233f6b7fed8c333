namespace Pulse.Runtime.Membership;

/// <summary>Checks directly whether another silo answers (the membership agent's failure detector).</summary>
public interface ISiloProber
{
    /// <summary>
    /// Sends a probe and waits for the answer. Returns true if the silo answered within
    /// <paramref name="timeout"/>; false if it did not (timeout, refused, reset). Never throws for a
    /// dead or unreachable silo.
    /// </summary>
    Task<bool> ProbeAsync(SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>Tells other nodes that the table changed so they refresh at once instead of at their next poll.</summary>
public interface IMembershipGossip
{
    /// <summary>Sends a best-effort hint to every node in <paramref name="view"/> except this one.</summary>
    Task NotifyAsync(ClusterMembershipView view, CancellationToken cancellationToken);
}

/// <summary>What the membership agent does when the table says this silo is Dead: stop the process's silo.</summary>
public interface ISiloTerminator
{
    /// <summary>Stops this silo (it no longer owns anything; other silos took its grains).</summary>
    void TerminateSelf(string reason);
}

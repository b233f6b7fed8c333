namespace Pulse.Runtime;

/// <summary>
/// The grains active on this silo, for silo services that must visit them now and then; a cache's silo
/// service re-registers its entries with a rebuilt index this way instead of keeping a set of them.
/// </summary>
public interface ILocalActivations
{
    /// <summary>
    /// The instances of this silo's activations whose grain is a <typeparamref name="TGrain"/>, walked
    /// without stopping them: an instance may be running a turn meanwhile, so read only what is safe to
    /// read concurrently. Activations created or removed during the walk may or may not show.
    /// </summary>
    IEnumerable<TGrain> GetGrains<TGrain>()
        where TGrain : class;
}

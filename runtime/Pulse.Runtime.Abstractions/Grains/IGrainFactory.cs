namespace Pulse.Runtime;

/// <summary>Creates references to grains. References are cheap and can be created for any key.</summary>
public interface IGrainFactory
{
    /// <summary>Returns a reference to the grain with the given key; the grain is activated by its first call.</summary>
    TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey;
}

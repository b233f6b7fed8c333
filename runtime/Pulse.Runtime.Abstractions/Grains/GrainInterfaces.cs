namespace Pulse.Runtime;

/// <summary>Anything that can be addressed by the runtime: grains and their references.</summary>
public interface IAddressable
{
}

/// <summary>Marker for grain interfaces.</summary>
public interface IGrain : IAddressable
{
}

/// <summary>
/// Marker for grain interfaces whose grains are identified by a string key. Every method of such an
/// interface returns <see cref="Task"/>, <see cref="Task{TResult}"/>, <see cref="ValueTask"/> or
/// <see cref="ValueTask{TResult}"/>; the source generator rejects anything else at build time.
/// </summary>
public interface IGrainWithStringKey : IGrain
{
}

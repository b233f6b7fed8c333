namespace Pulse.Grains;

/// <summary>Anchor type: hosts name this assembly through it when registering grain classes.</summary>
public static class GrainsAssembly
{
}

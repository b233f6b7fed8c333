using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Pulse.Runtime.Generators.Emit;

/// <summary>
/// Emits the assembly marker and the one module initializer that registers everything generated
/// for the compilation, so registration happens when the assembly is loaded, without reflection.
/// </summary>
internal static class RegistrationEmitter
{
    /// <param name="containers">Names of generated classes with a static <c>Register()</c>, in registration order.</param>
    public static string Emit(ImmutableArray<string> containers, string generatedNamespace)
    {
        CodeWriter w = CodeWriter.CreateFile();
        w.Line("[assembly: global::Pulse.Runtime.Invocation.PulseGeneratedCode]");
        w.Line();
        w.Open($"namespace {generatedNamespace}");
        w.Line("/// <summary>Registers the grain interfaces, grain classes and serializers generated for this assembly.</summary>");
        w.Line(Names.GeneratedCodeAttribute);
        w.Open("internal static class PulseModuleInitializer");
        w.Line("/// <summary>Runs when the module loads; <c>GeneratedCodeRegistry.EnsureLoaded</c> forces it for assemblies not touched yet.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
        w.Open("internal static void Initialize()");
        foreach (string container in containers)
        {
            w.Line($"{container}.Register();");
        }

        w.Close();
        w.Close();
        w.Close();
        return w.ToString();
    }

    /// <summary>A namespace for generated types derived from the assembly name: "My-App.Core" becomes "My_App.Core.PulseGenerated".</summary>
    public static string GeneratedNamespace(string? assemblyName)
    {
        List<string> parts = new();
        foreach (string segment in (assemblyName ?? string.Empty).Split('.'))
        {
            if (segment.Length == 0)
            {
                continue;
            }

            StringBuilder builder = new(segment.Length + 1);
            foreach (char c in segment)
            {
                builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
            }

            if (char.IsDigit(builder[0]))
            {
                builder.Insert(0, '_');
            }

            string part = builder.ToString();
            parts.Add(SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None ? "@" + part : part);
        }

        parts.Add("PulseGenerated");
        return string.Join(".", parts);
    }
}

#!/usr/bin/env bash
# Builds and runs one of Growda's libFuzzer harnesses under AddressSanitizer.
#
#   Tests/Fuzz/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER-OPTIONS…]   build, then fuzz for SECONDS (default 600)
#   Tests/Fuzz/fuzz.sh TARGET --build                             build only
#   Tests/Fuzz/fuzz.sh TARGET --replay FILE…                      run the harness once on each FILE
#   Tests/Fuzz/fuzz.sh --list                                     the targets
#
# Each harness is Tests/Fuzz/TARGET/main.swift. It is not a package target: the modules it needs are
# compiled straight from Sources/ with `swiftc -sanitize=fuzzer,address -enable-testing` into
# .build/fuzz/ (rebuilt only when a source changed), and the harness is linked against them.
# Seeds are the committed files under Tests/Fuzz/corpus/TARGET/; new inputs go to
# .build/fuzz/corpus/TARGET/, crashes to .build/fuzz/crash-TARGET-… (libFuzzer's -artifact_prefix).
# The fuzzer runs in-process, on one core; libFuzzer's -jobs/-workers would fork children that log to
# fuzz-N.log instead, so they are left out.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fuzz="$root/Tests/Fuzz"
out="$root/.build/fuzz"

# The modules each target links, dependencies first, and the system libraries they need.
modules_for() {
    case "$1" in
        wire) echo "GrowdaSafetensors GrowdaCrypto GrowdaWire" ;;
        keyfile) echo "GrowdaCrypto" ;;
        bundle | federation-conf) echo "GrowdaCrypto GrowdaProvisioning" ;;
        safetensors) echo "GrowdaSafetensors" ;;
        csv | png | dicom) echo "GrowdaTensor GrowdaData" ;;
        *) return 1 ;;
    esac
}
targets="wire keyfile bundle federation-conf csv safetensors png dicom"

# C module maps for Sources/C*, and the libraries they link. CGdcm is C++ source (GDCM behind a C header):
# it is compiled to libCGdcm.a below, for the targets whose modules include GrowdaData.
includes=(-I "$out" -I "$root/Sources/CSodium" -I "$root/Sources/CPng" -I "$root/Sources/CBlas"
    -I "$root/Sources/CGdcm/include")
libraries=(-lsodium -lpng16 -lopenblas)
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -enable-testing)

usage() {
    sed -n '4,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
if [[ "$1" == "--list" ]]; then
    echo "$targets"
    exit 0
fi
target="$1"
shift
modules="$(modules_for "$target")" || {
    echo "fuzz.sh: no target '$target' (targets: $targets)" >&2
    exit 2
}

mkdir -p "$out"
cd "$out"

# Compiles Sources/MODULE into libMODULE.a and MODULE.swiftmodule when one of its sources, or a module
# built before it (its dependencies), is newer than the library.
built=()
build_module() {
    local module="$1" library="$out/lib$1.a" newer=("$root/Sources/$1"/*.swift)
    for dependency in "${built[@]}"; do newer+=("$out/$dependency.swiftmodule"); done
    built+=("$module")
    if [[ -f "$library" ]] && [[ -z "$(find "${newer[@]}" -newer "$library" -print -quit)" ]]; then
        return
    fi
    echo "fuzz.sh: compiling $module" >&2
    swiftc "${flags[@]}" "${includes[@]}" -module-name "$module" -emit-module -emit-library -static \
        -o "$library" "$root/Sources/$module"/*.swift
    touch "$library"
}

libs=()
if [[ " $modules " == *" GrowdaData "* ]]; then
    shim="$out/libCGdcm.a"
    if [[ ! -f "$shim" ]] || [[ -n "$(find "$root/Sources/CGdcm" -newer "$shim" -print -quit)" ]]; then
        echo "fuzz.sh: compiling CGdcm" >&2
        clang++ -std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CGdcm/include" \
            -c "$root/Sources/CGdcm/growda_dicom.cpp" -o "$out/growda_dicom.o"
        rm -f "$shim"
        ar rcs "$shim" "$out/growda_dicom.o"
    fi
    libs+=("$shim")
    libraries+=(-lgdcmMSFF -lgdcmDSED -lgdcmCommon -lstdc++)
fi
for module in $modules; do build_module "$module"; done
binary="$out/$target-fuzz"
for module in $modules; do libs=("$out/lib$module.a" "${libs[@]}"); done
if [[ ! -x "$binary" ]] || [[ -n "$(find "$fuzz/$target" "${libs[@]}" -newer "$binary" -print -quit)" ]]; then
    echo "fuzz.sh: linking $target-fuzz" >&2
    swiftc "${flags[@]}" "${includes[@]}" "$fuzz/$target"/*.swift "${libs[@]}" "${libraries[@]}" -o "$binary"
fi

seconds=600
if [[ $# -ge 1 ]]; then
    case "$1" in
        --build) exit 0 ;;
        --replay)
            shift
            exec "$binary" -runs=1 "$@"
            ;;
        --) ;;
        *)
            seconds="$1"
            shift
            ;;
    esac
fi
[[ "${1:-}" == "--" ]] && shift

corpus="$out/corpus/$target"
mkdir -p "$corpus"
seeds=()
[[ -d "$fuzz/corpus/$target" ]] && seeds=("$fuzz/corpus/$target")
dictionary=()
[[ -f "$fuzz/dict/$target.dict" ]] && dictionary=(-dict="$fuzz/dict/$target.dict")
exec "$binary" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
    -artifact_prefix="$out/crash-$target-" "${dictionary[@]}" "$@" "$corpus" "${seeds[@]}"

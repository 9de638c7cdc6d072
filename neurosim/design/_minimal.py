"""A design as TOML with only what its chosen models use (``neurosim design show --minimal``)."""

from __future__ import annotations

__all__ = ["minimal_dict", "minimal_toml"]

#: chip.detector fields read only by one detector kind (or with ``adaptive``)
_DETECTOR_ONLY = {"absolute_threshold_uV": ("absolute_threshold",),
                  "neo_threshold_c": ("neo",), "neo_window_samples": ("neo",)}
#: chip.radio fields read only by some output modes (the rates of every mode are reported, so
#: snippet_samples, bin_ms and sbp_bits are always read)
_RADIO_ONLY = {"compression_block_samples": ("compressed",)}


def minimal_dict(design) -> dict:
    """``design.model_dump()`` without the sections and fields its models do not read.

    Left out: ``population.motor`` unless ``population.model = "motor_cortex"``,
    ``implant.drift`` while ``kind = "none"``,
    ``chip.stimulation`` unless enabled, the ``chip.detector`` fields of other detector kinds
    and ``chip.radio.compression_block_samples`` unless the output mode is ``compressed``.
    Loading the result gives a design that runs the same. (``population.poisson`` stays: its
    rates set the far-neuron background when no cell is simulated, whatever the model.)
    """
    data = design.model_dump()
    pop, imp, chip = data["population"], data["implant"], data["chip"]
    if pop["model"] != "motor_cortex":
        pop.pop("motor")
    if not imp["layout_params"]:
        imp.pop("layout_params")
    if imp["drift"]["kind"] == "none":
        imp.pop("drift")
    if not chip["stimulation"]["enabled"]:
        chip.pop("stimulation")
    det = chip["detector"]
    for key, kinds in _DETECTOR_ONLY.items():
        if det["kind"] not in kinds:
            det.pop(key)
    if not (det["kind"] == "mad_threshold" and det["adaptive"]):
        det.pop("adaptation_time_s")
    radio = chip["radio"]
    for key, modes in _RADIO_ONLY.items():
        if radio["output_mode"] not in modes:
            radio.pop(key)
    return data


def minimal_toml(design) -> str:
    """`minimal_dict` as TOML (``None`` values omitted, as TOML has no null)."""
    import tomli_w

    def strip(d):
        return {k: strip(v) if isinstance(v, dict) else (list(v) if isinstance(v, tuple) else v)
                for k, v in d.items() if v is not None}

    return tomli_w.dumps(strip(minimal_dict(design)))

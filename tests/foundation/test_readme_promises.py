"""README.md's promises and the tests that prove them, kept in step.

Every sentence of the README's prose (code blocks and the folder maps aside) must contain one
of the fragments below: a PROMISE, mapped to the tests that prove it, or a NOT_A_PROMISE, with
the reason it needs no test. Edit a README sentence and this test names it until the map says
which test proves the new words; rename or delete a test and this test names the promise it
leaves unproven.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"

SNAKE = "pipeline/test_snakemake_runs.py::"
REVIEWS = "pipeline/test_reviews.py::"
SHEET = "pipeline/test_contact_sheet.py::"
CACHE = "pipeline/test_cache_lease_sheet.py::"
FINISH = "pipeline/test_lease_earliest_finish.py::"
PARAMCACHE = "pipeline/test_paramcache.py::"
FAULTS = "comfy/test_faults.py::"
STORE = "models/test_model_store.py::"
SERVICE = "models/test_service.py::"
VALIDATE = "foundation/test_validate.py::"
PROMPTS = "foundation/test_prompts.py::"
HASH = "workflows/test_request_hash.py::"
SLOTS = "workflows/test_template_slots.py::"
LAYOUT_OUT = "layout/test_outputs.py::"
INTERIOR = "layout/test_interior.py::"
PLACEMENT = "layout/test_placement.py::"
COPYRIGHT = "layout/test_copyright.py::"
COVER = "layout/test_cover.py::"
MATTER = "layout/test_matter.py::"
FOCUS = "layout/test_focus.py::"
TYPE = "layout/test_typography.py::"
FIGURES = "sketch/test_figure_boxes.py::"
SAMPLE_PAGES = "pipeline/test_sample_book_pages.py::"
CANVAS = "workflows/test_canvas.py::"
SPREADS = "layout/test_spreads.py::"
SPREAD_PDF = "pipeline/test_spread_to_pdf.py::"
PACKAGING = "foundation/test_packaging.py::"
SAMPLE_PDF = "pipeline/test_sample_book_to_pdf.py::"
MCP = "mcp/test_mcp_tools.py::"
OPS = "operations/test_prune_archive_slow.py::"
GUARDS = "operations/test_archive_guards.py::"
NEW_BOOK = "pipeline/test_new_book_readme.py::"
STORYBOARD = "pipeline/test_storyboard_pipeline.py::"
ISOLATION = "models/test_isolation.py::"
CLI = "foundation/test_cli.py::"
HOSTILE_DOCS = "hostile/test_documents.py::"
HOSTILE_REVIEW = "hostile/test_review_cli.py::"
HOSTILE_CONFIG = "hostile/test_config.py::"
HOSTILE_HTTP = "hostile/test_sketch_http.py::"
BOARD = "board/test_board_http.py::"
BOARD_UI = "board/test_board_browser.py::"
BOARD_BUILD = "board/test_board_builds.py::"
FAMILIES = "workflows/test_families.py::"
FAMILY_BOOK = "pipeline/test_family_book_to_pdf.py::"
SHEETS = "pipeline/test_sheets.py::"
SHEETS_RUN = "pipeline/test_sheets_pipeline.py::"
STYLE = "pipeline/test_style_refs.py::"
STYLE_RUN = "pipeline/test_style_refs_pipeline.py::"

PROMISES: dict[str, list[str]] = {
    # Model families and references
    "Each tier in `book_config.yaml` (`models.draft`, `models.final`) names its model `family`": [
        FAMILIES + "test_every_familys_graphs_validate_against_the_recorded_object_info",
    ],
    "`sd15` (the default) and `sdxl`: a `checkpoint` in `models/checkpoints`": [
        FAMILIES + "test_the_sd15_default_graph_takes_no_reference",
        FAMILIES + "test_every_familys_graphs_validate_against_the_recorded_object_info",
    ],
    "`flux-kontext`: `unet` in `models/diffusion_models`": [
        FAMILIES + "test_every_familys_graphs_validate_against_the_recorded_object_info",
    ],
    "Two reference images reach the sampler through `ReferenceLatent`.": [
        FAMILIES + "test_a_pages_draft_and_refine_carry_its_characters_sheets",
    ],
    "`qwen-image-edit-plus`: `unet`, `clip: [qwen_2.5_vl_7b]` and `vae` in the same folders": [
        FAMILIES + "test_a_pages_draft_and_refine_carry_its_characters_sheets",
        FAMILIES + "test_every_familys_graphs_validate_against_the_recorded_object_info",
    ],
    "A page's references are the sheets of its characters": [
        "workflows/test_references.py::test_a_page_gets_its_characters_refs_in_spec_order_then_its_style",
        "workflows/test_references.py::test_without_spec_refs_a_character_gets_the_bibles_sheets",
        SNAKE + "test_changing_one_sheet_rerenders_exactly_the_pages_that_use_it",
        SNAKE + "test_a_pages_sheets_are_inputs_of_its_draft_job",
    ],
    "The diffusion-model families put them into their draft and refine graphs": [
        FAMILIES + "test_a_pages_draft_and_refine_carry_its_characters_sheets",
        FAMILIES + "test_more_references_than_slots_share_the_last_slot_as_a_board",
    ],
    "The manifest's request says which image went into which slot": [
        FAMILIES + "test_a_pages_draft_and_refine_carry_its_characters_sheets",
        FAMILIES + "test_more_references_than_slots_share_the_last_slot_as_a_board",
    ],
    "The `sd15`/`sdxl` graphs take no reference image": [
        FAMILIES + "test_the_sd15_default_graph_takes_no_reference",
        VALIDATE + "test_refs_a_pages_model_family_cannot_use_are_one_warning_for_the_book",
    ],
    "With a Redux `style_model` (`models/style_models`) and its `clip_vision`": [
        FAMILIES
        + "test_a_pinned_redux_model_takes_the_style_reference_and_the_ground_takes_its_colour",
    ],
    "The two tiers may be of different families (drafts on `flux-kontext`, refine, inpaint": [
        FAMILY_BOOK + "test_a_flux_kontext_and_qwen_book_goes_from_words_to_pages_pdf",
    ],
    "Every family's print upscale uses the book's `upscaler` (`models/upscale_models`)": [
        FAMILY_BOOK + "test_a_flux_kontext_and_qwen_book_goes_from_words_to_pages_pdf",
        "models/test_doctor.py::test_a_diffusion_family_book_needs_no_lora_loader",
        VALIDATE + "test_the_packs_loras_must_be_pinned_only_when_a_tier_chains_them",
    ],
    "Every family's draft, refine, inpaint, upscale and sheet graphs pass ComfyUI 0.3.64's": [
        "comfy/test_family_graphs.py::"
        "test_every_stage_graph_of_a_family_passes_the_servers_own_validation",
    ],
    "To try a family without a GPU, pin it and let the sketch server draw": [
        FAMILY_BOOK + "test_a_flux_kontext_and_qwen_book_goes_from_words_to_pages_pdf",
    ],
    "A family without a graph for a stage": [
        FAMILIES + "test_a_family_without_a_graph_for_a_stage_says_so_in_one_line",
    ],
    "On the sketch server a reference shows": [
        FAMILIES
        + "test_through_the_sketch_server_the_sheet_reaches_the_picture_and_its_colour_follows",
    ],
    # The look at every server before a run that renders
    "Before the first job of a run that renders, every server in use is asked": [
        SNAKE + "test_a_run_that_renders_names_a_dead_server_before_any_job_starts",
        "comfy/test_health.py::test_each_dead_server_is_one_line_naming_its_entry_and_fix",
        "comfy/test_health.py::test_a_server_refusing_the_credentials_is_named_with_the_header_fix",
    ],
    "A run that renders nothing (layout, contact sheets, review gates) needs no server": [
        SNAKE + "test_a_run_that_renders_nothing_needs_no_server",
    ],
    # Operations: prune, archive, restore
    "The gold of a book is its bible, specs, reviews (+ history)": [
        OPS + "test_archive_delete_restore_gives_the_gold_back_and_plans_nothing",
    ],
    "`prune` deletes the draft candidates no current review selected": [
        OPS + "test_prune_frees_the_unkept_images_and_the_pipeline_plans_nothing",
        OPS + "test_drafts_only_keeps_the_variants",
        OPS + "test_a_page_with_a_stale_review_keeps_every_image",
    ],
    "Manifests are not touched (Snakemake recorded their checksums)": [
        OPS + "test_prune_frees_the_unkept_images_and_the_pipeline_plans_nothing",
    ],
    "It reports the bytes freed: a file still hard-linked from the render cache": [
        OPS + "test_prune_frees_the_unkept_images_and_the_pipeline_plans_nothing",
        OPS + "test_prune_frees_a_file_only_when_its_last_hard_link_goes",
    ],
    "Afterwards `snakemake -n` plans nothing and the gates judge as before.": [
        OPS + "test_prune_frees_the_unkept_images_and_the_pipeline_plans_nothing",
        OPS + "test_after_a_prune_the_gates_still_judge_and_a_pruned_pick_is_refused",
    ],
    "A review that picks a pruned image is refused with one line naming `artfarm unprune": [
        OPS + "test_after_a_prune_the_gates_still_judge_and_a_pruned_pick_is_refused",
        OPS + "test_unprune_brings_a_draft_back_from_the_cache_and_the_review_may_pick_it",
        OPS + "test_unprune_without_the_cache_re_renders_from_the_manifest_identically",
        OPS + "test_unprune_refuses_an_image_that_no_longer_renders_the_same",
    ],
    "`archive` writes the gold set (the book as `prune` would leave it": [
        GUARDS + "test_the_checksum_list_is_inside_the_archive",
        OPS + "test_archive_delete_restore_gives_the_gold_back_and_plans_nothing",
        OPS + "test_archive_with_drafts_restores_every_image",
    ],
    "`.tar.zst` is refused": [GUARDS + "test_zstd_is_refused_with_one_line"],
    "`restore` reads the archive twice": [
        GUARDS + "test_one_changed_byte_in_the_file_is_refused",
        GUARDS + "test_one_changed_byte_in_a_member_fails_its_checksum",
        GUARDS + "test_hostile_members_are_refused",
        GUARDS + "test_a_member_claiming_an_absurd_size_is_refused_before_reading",
        GUARDS + "test_the_total_is_capped_too",
        GUARDS + "test_members_and_checksum_list_must_agree",
    ],
    "An existing book needs `--force`; the book id must match.": [
        GUARDS + "test_an_existing_book_is_refused_then_replaced_with_force",
        GUARDS + "test_restoring_under_another_book_id_is_refused",
    ],
    "A missing style pack is restored; an existing one with different files is refused": [
        GUARDS + "test_round_trip_restores_book_and_missing_style_pack_byte_for_byte",
        GUARDS + "test_a_different_style_pack_of_the_same_name_is_a_conflict",
    ],
    "Files get their recorded mtimes back, so `snakemake -n` on the restored book": [
        GUARDS + "test_round_trip_restores_book_and_missing_style_pack_byte_for_byte",
        OPS + "test_archive_delete_restore_gives_the_gold_back_and_plans_nothing",
    ],
    "In the same project Snakemake's records of the book's outputs still fit": [
        OPS + "test_after_a_restore_in_the_same_project_an_edited_spec_still_rerenders_its_page",
    ],
    # Two commands
    "Both work on a fresh machine with only Python 3.11+ and `make`": [
        PACKAGING + "test_ci_runs_exactly_the_readme_test_command",
        PACKAGING + "test_environment_yml_holds_the_same_dependencies_as_pyproject",
    ],
    "`make demo` starts artfarm's **sketch server**": [
        SAMPLE_PDF + "test_the_sample_book_goes_from_specs_to_a_print_ready_pdf",
        SAMPLE_PAGES + "test_no_text_sits_over_a_character_on_any_page_of_the_sample_book",
        REVIEWS + "test_auto_review_is_marked_automatic",
        REVIEWS + "test_the_demo_reviewer_never_replaces_an_agents_review",
        SERVICE + "test_the_sketch_server_starts_answers_status_and_stops",
    ],
    "It uses only a server this checkout started": [
        ISOLATION + "test_start_sketch_moves_to_a_free_port_and_status_says_whose",
        ISOLATION + "test_the_demo_starts_its_own_server_beside_a_foreign_one",
        ISOLATION + "test_a_foreign_server_on_the_port_receives_no_prompt_from_the_pipeline",
    ],
    # Start a new book
    "`make setup` creates `.venv`": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
    ],
    "`new-book` writes every document, commented": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
        CLI + "test_new_book_writes_a_commented_layout_with_an_entry_per_page",
    ],
    "`validate` names every scaffold placeholder still there": [
        CLI + "test_new_book_and_new_page_scaffold_a_book_whose_placeholders_validate_names",
        VALIDATE + "test_scaffold_placeholders_left_are_named",
    ],
    "the layout schema has a full example": [
        CLI + "test_schema_layout_carries_descriptions_and_a_valid_example",
        CLI + "test_renderspec_schema_documents_its_fields",
    ],
    "More pages later: `artfarm new-page books/my_book`.": [
        CLI + "test_new_book_and_new_page_scaffold_a_book_whose_placeholders_validate_names",
    ],
    "`--auto` is the scripted reviewer (first image in id order)": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
        REVIEWS + "test_auto_review_is_marked_automatic",
    ],
    "`models placeholders` puts stand-in model files": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
        VALIDATE + "test_models_not_locked_is_a_problem",
    ],
    "The storyboard comes first: the whole book in reading order before any draft burst": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
        STORYBOARD + "test_a_fresh_books_storyboard_renders_thumbnails_only",
        "layout/test_storyboard.py::test_openings_in_reading_order_with_the_spread_across_the_fold",
        "layout/test_storyboard.py::test_the_overview_is_one_deterministic_image_of_every_opening_in_a_grid",
        "workflows/test_compile_stages.py::test_thumb_is_one_small_cheap_candidate_on_the_draft_model",
    ],
    "Look at it, fix scenes and texts, ask again: each page shows its best art so far": [
        STORYBOARD + "test_a_final_pick_replaces_the_thumbnail_and_rebuilds_the_storyboard",
        "layout/test_storyboard.py::test_each_page_shows_its_best_art_final_then_selected_then_thumbnail",
    ],
    "`artfarm next` names it first for a book with no drafts and no storyboard yet": [
        "layout/test_storyboard.py::test_next_suggests_the_storyboard_for_a_fresh_book_until_it_exists",
    ],
    "The first two `pages.pdf` runs stop at the review gates with exit status 75": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
        SNAKE + "test_a_fresh_book_renders_drafts_and_stops_with_a_review_summary",
    ],
    "The last run ends with `books/my_book/layout/pages.pdf`": [
        NEW_BOOK + "test_the_readme_makes_a_new_four_page_book_from_a_blank_folder",
    ],
    # A book folder
    "Every `manifest.json` is the provenance of its stage": [
        SNAKE + "test_after_both_reviews_every_page_reaches_print",
    ],
    "Nothing in it points at a temporary file.": [
        "pipeline/test_provenance.py::test_no_manifest_names_a_temporary_path",
    ],
    "`artfarm replay` uploads the stored inputs": [
        SNAKE + "test_a_stage_reruns_from_its_manifest_alone_to_identical_bytes",
        "pipeline/test_provenance.py::test_replay_of_every_stage_is_identical_on_the_same_server",
        "pipeline/test_provenance.py::test_replay_on_a_fresh_server_uploads_the_stored_inputs",
        "pipeline/test_provenance.py::test_replay_names_each_output_that_differs",
        "pipeline/test_provenance.py::test_replay_refuses_a_stored_input_that_changed",
    ],
    # The agent's loop
    "On a fresh book, `snakemake …/pages.pdf` renders every draft and contact sheet": [
        SNAKE + "test_a_fresh_book_renders_drafts_and_stops_with_a_review_summary",
        REVIEWS + "test_next_lists_what_waits_for_the_agent",
    ],
    "A stop at the review gates is a wait, not a crash": [
        SNAKE + "test_a_fresh_book_renders_drafts_and_stops_with_a_review_summary",
        SNAKE + "test_an_invalid_spec_fails_its_job_with_one_clear_line",
        SAMPLE_PDF + "test_the_sample_book_goes_from_specs_to_a_print_ready_pdf",
    ],
    "A stale review waits too.": [
        SNAKE + "test_editing_one_scene_rerenders_that_page_only_and_its_review_goes_stale",
        SNAKE + "test_a_stale_final_review_is_refused_naming_the_page_and_its_review_is_kept",
    ],
    "Contact sheets show the candidates with big ids": [
        SHEET + "test_contact_sheet_shows_every_candidate_once_with_its_big_id",
        SHEET + "test_contact_sheet_shows_the_scene_line_on_top",
        SHEET + "test_contact_sheet_shows_each_characters_reference_sheet_and_name",
        SHEET + "test_contact_sheet_fits_a_vision_model_with_tiles_big_enough_to_judge",
    ],
    "A review records the hash of the images it judged.": [
        REVIEWS + "test_a_draft_review_records_what_it_judged",
    ],
    "the review is **stale**: the pipeline refuses to go on from it": [
        REVIEWS + "test_a_review_of_changed_drafts_is_stale_and_nothing_is_deleted",
        REVIEWS + "test_a_final_pick_of_changed_variants_is_stale_and_the_gate_waits",
        SNAKE + "test_editing_one_scene_rerenders_that_page_only_and_its_review_goes_stale",
        SNAKE + "test_a_stale_final_review_is_refused_naming_the_page_and_its_review_is_kept",
    ],
    "`artfarm review` checks ids, a reason for every rejected image, and masks": [
        REVIEWS + "test_selecting_a_candidate_that_does_not_exist",
        REVIEWS + "test_every_rejection_needs_a_reason",
        REVIEWS + "test_refine_review_checks_masks_inside_the_image",
        REVIEWS + "test_image_masks_must_match_the_variant_size",
        "workflows/test_masks.py::test_an_image_mask_outside_the_book_is_refused",
        VALIDATE + "test_a_hand_written_review_is_validated_too",
        SNAKE + "test_an_invalid_hand_written_review_stops_its_page_with_one_clear_line",
    ],
    "A replaced review is kept in `review.history.jsonl`.": [
        REVIEWS + "test_replacing_a_review_keeps_the_old_one_in_history",
    ],
    "A constraint may be a form with a count": [
        "foundation/test_constraints.py::test_a_count_form_fills_in_the_number",
        "foundation/test_constraints.py::test_a_book_adds_its_own_constraint_words_and_forms",
        "foundation/test_constraints.py::test_the_book_schema_documents_constraints",
    ],
    "Characters are always described from the bible": [
        PROMPTS + "test_characters_are_described_from_the_bible",
        VALIDATE + "test_unknown_constraint_names_the_known_ones",
    ],
    "`artfarm validate` runs the pipeline's own checks before any GPU time": [
        VALIDATE + "test_scaffold_placeholders_left_are_named",
        VALIDATE + "test_a_spec_without_a_layout_page_is_a_problem",
        VALIDATE + "test_layout_pages_must_have_a_spec",
        VALIDATE + "test_models_not_locked_is_a_problem",
        VALIDATE + "test_a_stale_model_lock_is_a_problem",
        VALIDATE + "test_a_hand_written_review_is_validated_too",
        VALIDATE + "test_a_spread_on_a_right_hand_page_is_reported",
        VALIDATE + "test_text_that_cannot_fit_is_reported_without_any_art",
    ],
    "Warnings (exit 0) include one line for the book when prompts": [
        VALIDATE + "test_a_prompt_past_the_clip_window_is_a_warning_naming_the_words",
        VALIDATE + "test_prompts_past_the_clip_window_are_one_line_for_the_book_naming_the_longest",
        VALIDATE + "test_the_clip_window_is_checked_only_when_a_tier_reads_the_prompt_through_clip",
        "foundation/test_tokens.py::test_a_word_that_runs_past_the_window_opens_the_next_one_whole",
    ],
    "The sample book keeps its words": [
        VALIDATE + "test_the_sample_books_prompts_take_several_windows_even_without_descriptions",
    ],
    "`--json` prints NDJSON records with a `severity`": [
        VALIDATE + "test_json_output_is_one_record_per_problem",
        VALIDATE + "test_json_ends_with_a_summary_record_when_all_is_well",
    ],
    "read through one guarded reader": [
        HOSTILE_DOCS + "test_validate_refuses_a_hostile_document",
        HOSTILE_REVIEW + "test_a_bad_fix_names_its_field",
    ],
    "Model pins are file names inside the store's folders": [
        HOSTILE_DOCS + "test_a_model_pin_that_leaves_the_store_is_refused",
    ],
    "Each server is an `http(s)://host:port` URL": [
        HOSTILE_CONFIG + "test_a_bad_server_url_is_one_line_naming_the_config",
    ],
    "The sketch server refuses what a GPU server would": [
        HOSTILE_HTTP + "test_a_job_too_large_for_the_gpu_names_its_node",
        HOSTILE_HTTP + "test_the_limit_is_configurable",
        HOSTILE_HTTP + "test_a_malformed_prompt_is_a_400_in_comfyuis_shape",
    ],
    "Errors are one line each — file, field, problem, fix": [
        VALIDATE + "test_every_problem_is_listed_at_once_and_exit_code_is_1",
        VALIDATE + "test_console_script_shows_no_traceback_for_user_errors",
        SNAKE + "test_an_invalid_spec_fails_its_job_with_one_clear_line",
        SNAKE + "test_a_broken_config_names_the_field",
    ],
    "A file system fault (a read-only folder, a full disk) is one line naming the path": [
        SNAKE + "test_a_file_system_fault_in_a_render_job_is_one_line_naming_the_path",
        "hostile/test_filesystem.py::test_a_read_only_target_in_the_cli_is_one_line_naming_it",
    ],
    # What re-renders, and why
    "`snakemake -n books/<id>/layout/pages.pdf` lists what would run": [
        SNAKE + "test_editing_one_scene_rerenders_that_page_only_and_its_review_goes_stale",
    ],
    "Render rules carry the compiler's **request hash** as a param": [
        "pipeline/test_dagparams.py::test_a_draft_request_names_its_sources_and_changes_only_with_that_page",
        "pipeline/test_dagparams.py::test_the_final_recipe_follows_the_pick_and_its_fixes",
        "pipeline/test_dagparams.py::test_the_print_request_waits_for_the_final_art_and_follows_its_bytes",
        PROMPTS + "test_reference_image_bytes_enter_the_hash",
        PROMPTS + "test_style_pack_files_enter_every_hash",
        HASH + "test_swapping_the_final_model_changes_refine_inpaint_and_upscale_only",
        HASH + "test_later_stages_use_derived_seeds_that_are_recorded",
    ],
    "nothing changed, or files only touched, copied or checked out again": [
        SNAKE + "test_a_rerun_with_nothing_changed_plans_no_job",
        SNAKE + "test_touching_every_file_runs_no_gpu_job",
        SNAKE + "test_a_plain_copy_of_the_book_renders_nothing_new",
    ],
    "the checkout (or its venv) moved to another folder: no job at all": [
        SNAKE + "test_a_moved_checkout_and_interpreter_plan_no_job",
    ],
    "one page's spec edited: that page's stages only": [
        SNAKE + "test_editing_one_scene_rerenders_that_page_only_and_its_review_goes_stale",
    ],
    "the final-tier model swapped (and re-pinned)": [
        SNAKE + "test_swapping_the_final_model_rerenders_refine_and_later_but_no_draft",
    ],
    "the refine section added to a review: that page's final and print only": [
        SNAKE + "test_adding_the_final_pick_rerenders_no_draft_or_refine",
        SNAKE + "test_changing_the_draft_selection_rerenders_that_pages_refine_and_later",
    ],
    "a spec reverted to an earlier version: images come back from the **render cache**": [
        SNAKE + "test_reverting_a_spec_restores_images_from_the_cache",
        CACHE + "test_cache_returns_what_was_stored_as_hard_links",
    ],
    "`artfarm cache info`, `artfarm cache prune --max-gb 50`.": [
        CACHE + "test_cache_commands_report_and_prune",
        CACHE + "test_cache_prune_max_gb_on_the_command_line_keeps_the_most_recently_used",
    ],
    "The params are remembered across runs in `books/<id>/.artfarm/param-cache.json`": [
        PARAMCACHE + "test_a_second_run_reuses_every_value_without_compiling",
        PARAMCACHE + "test_every_kind_of_input_edit_computes_the_value_again",
        PARAMCACHE + "test_a_value_records_the_same_files_after_other_pages",
        SNAKE + "test_a_dry_run_from_the_param_cache_plans_what_one_without_it_plans",
    ],
    "`ARTFARM_PARAM_CACHE=off` computes every value": [
        SNAKE + "test_a_dry_run_from_the_param_cache_plans_what_one_without_it_plans",
    ],
    "Each render job leases a server slot": [
        CACHE + "test_leases_give_each_job_its_own_slot_and_wait_when_full",
        CACHE + "test_a_released_lease_is_taken_by_the_waiting_job",
        SNAKE + "test_several_servers_share_the_render_jobs",
    ],
    "GPU jobs run in model-tier order": [
        "pipeline/test_fleet.py::test_earlier_tiers_come_first_and_every_gpu_stage_outranks_cpu_jobs",
        "pipeline/test_fleet.py::test_the_rules_carry_the_tier_priorities",
    ],
    "With several servers, a job goes where it is expected to finish first": [
        FINISH + "test_the_earliest_finish_wins_even_queued_behind_a_job_on_a_faster_server",
        FINISH + "test_a_slow_server_is_skipped_at_the_end_of_a_queue",
        FINISH + "test_a_backlog_runs_held_jobs_one_after_another_in_start_order",
        FINISH + "test_a_jobs_cost_is_sampler_steps_times_megapixels_times_images",
        "pipeline/test_fleet.py::test_the_servers_learn_their_speeds_from_a_real_run",
    ],
    "Until a server's speed is known, it counts at the fleet's mean": [
        FINISH + "test_a_server_not_measured_yet_counts_at_the_fleets_mean_speed",
        FINISH + "test_without_any_speed_known_the_backlog_is_the_count_of_held_slots",
        FINISH + "test_without_speeds_a_costed_lease_keeps_todays_order",
    ],
    "A server that does not hold the job's models adds its load time": [
        FINISH + "test_a_job_after_another_kind_teaches_the_servers_load_time",
        FINISH + "test_a_server_without_the_jobs_models_pays_its_load_time",
    ],
    "among near-equal finishes a job takes the server that last ran its models": [
        "pipeline/test_lease_residency.py::test_a_job_goes_to_the_server_that_last_ran_its_models",
        "pipeline/test_lease_residency.py::"
        "test_an_idle_server_wins_over_queueing_behind_the_one_with_the_model",
        FINISH + "test_near_ties_go_to_a_free_slot_then_residency_then_config_order",
    ],
    "`comfyui.cache_lru: N` to launch ComfyUI (and the sketch server)": [
        SERVICE + "test_cache_lru_gives_a_cache_flag_comfyui_accepts",
        SERVICE + "test_the_sketch_server_keeps_models_by_the_configured_cache",
    ],
    "the default 0 keeps ComfyUI's own cache, which the tier order serves.": [
        SERVICE + "test_cache_lru_gives_a_cache_flag_comfyui_accepts",
        "pipeline/test_fleet.py::test_earlier_tiers_come_first_and_every_gpu_stage_outranks_cpu_jobs",
    ],
    "A server that stops answering for `client.retry_seconds` is marked down": [
        "pipeline/test_fleet.py::"
        "test_a_server_killed_mid_book_leaves_its_jobs_to_the_other_without_duplicates",
        "pipeline/test_lease_residency.py::test_a_server_marked_down_is_skipped_until_cleared",
    ],
    "`--load-seconds S` makes every model load": [
        "sketch/test_model_loads.py::"
        "test_default_cache_reloads_a_model_at_every_switch_and_keeps_it_for_the_same_model",
        "sketch/test_model_loads.py::test_cache_lru_keeps_both_models_across_alternating_prompts",
        "sketch/test_model_loads.py::test_a_load_holds_the_job_until_it_is_paid_and_can_be_interrupted",
    ],
    "A job killed mid-way re-attaches to its prompt on the next run": [
        SNAKE + "test_a_killed_run_reattaches_and_pays_for_no_prompt_twice",
        FAULTS
        + "test_a_killed_client_rerun_reattaches_to_its_running_prompt_without_submitting_again",
    ],
    "After killing Snakemake itself, run `snakemake --unlock` once": [
        SNAKE + "test_a_killed_run_reattaches_and_pays_for_no_prompt_twice",
    ],
    "`snakemake --report report.html …` gives an HTML report": [
        SNAKE + "test_the_report_shows_the_page_images",
    ],
    # Pointing it at a real ComfyUI
    "`artfarm comfyui paths` writes the `extra_model_paths.yaml` for it.": [
        STORE + "test_extra_model_paths_points_comfyui_at_every_standard_folder",
    ],
    "`artfarm models lock --book books/<id>` (streamed sha256, cached by size and mtime)": [
        STORE + "test_locking_a_book_records_the_sha256_of_each_pin",
        STORE + "test_a_second_hash_run_reads_the_cache_not_the_file",
        STORE + "test_a_changed_file_of_the_same_size_is_hashed_again",
        SERVICE + "test_models_placeholders_then_lock_via_the_cli",
    ],
    "A pinned file whose hash changed is refused until you re-pin deliberately": [
        STORE
        + "test_compiling_with_a_model_whose_hash_left_the_lock_is_refused_with_the_repin_command",
        STORE + "test_locking_again_after_a_swap_needs_repin",
        SNAKE + "test_swapping_the_final_model_rerenders_refine_and_later_but_no_draft",
    ],
    "Run ComfyUI: set `comfyui.install`": [
        SERVICE + "test_comfyui_gets_the_recommended_flags",
        SERVICE + "test_starting_comfyui_without_an_install_says_how_to_fix_it",
        SERVICE + "test_each_device_gets_a_command_line_comfyui_accepts",
        SERVICE + "test_a_vram_mode_with_device_cpu_is_one_config_error",
        SERVICE + "test_comfyui_starts_on_the_cpu_with_every_folder_it_needs",
    ],
    "A start that fails names the log's last error line and its fix": [
        SERVICE + "test_a_failed_start_names_the_logs_last_error_and_its_fix",
        SERVICE + "test_the_cause_of_an_argument_refusal_is_the_argparse_line",
    ],
    "Before spending GPU time on a book, `artfarm comfyui doctor": [
        "models/test_doctor.py::test_a_fit_server_and_book_pass_every_check",
        "models/test_doctor.py::test_a_missing_node_is_one_line_with_its_fix",
        "models/test_doctor.py::test_a_missing_custom_node_names_its_pack",
        "models/test_doctor.py::test_a_model_the_server_does_not_list_is_one_line",
        "models/test_doctor.py::test_a_store_file_that_no_longer_matches_the_lock_is_one_line",
        "models/test_doctor.py::test_a_server_listening_beyond_loopback_is_one_line",
        "models/test_doctor.py::test_launch_flags_that_do_not_fit_are_named",
        "models/test_doctor.py::test_a_server_that_does_not_answer_is_one_line",
    ],
    "`artfarm comfyui unit` prints a systemd unit": [
        SERVICE + "test_the_systemd_unit_is_filled_with_the_same_command",
    ],
    "a non-loopback `--listen` is refused unless you pass `--allow-remote`": [
        SERVICE + "test_a_non_loopback_listen_address_is_refused_without_allow_remote",
    ],
    "List the server(s) under `servers:`": [
        SNAKE + "test_several_servers_share_the_render_jobs",
    ],
    "A job retries a server that refuses connections or answers 5xx": [
        FAULTS + "test_refused_connections_are_retried_for_a_bounded_time",
        FAULTS + "test_answers_of_500_are_retried_until_the_server_recovers",
        SNAKE + "test_a_server_that_is_down_is_named_in_the_error",
        PACKAGING + "test_the_shipped_config_is_valid_and_sets_the_client_retry_budget",
    ],
    "The client is the same for ComfyUI and the sketch server": [
        "comfy/test_contract.py::test_run_executes_a_model_free_graph_and_fetches_the_doubled_image",
        "comfy/test_bad_input.py::test_sketch_server_answers_bad_graphs_exactly_like_comfyui",
        SERVICE + "test_the_sketch_server_starts_answers_status_and_stops",
    ],
    "A server behind an authenticating proxy (Basic, Bearer, `X-API-Key`": [
        "comfy/test_credentials.py::test_secrets_come_from_the_environment_with_a_prefix",
        "comfy/test_credentials.py::test_a_secret_file_must_live_outside_the_project",
        "comfy/test_credentials.py::test_a_header_source_needs_exactly_one_of_env_or_file",
        "pipeline/test_auth_pipeline.py::test_with_the_header_configured_the_render_succeeds_and_the_secret_is_written_nowhere",
    ],
    "The headers go on every HTTP request and the WebSocket handshake": [
        "comfy/test_auth.py::test_with_the_header_a_job_runs_and_its_progress_comes_over_the_websocket",
        "comfy/test_auth.py::test_without_the_header_one_line_names_the_server_and_what_it_wants",
        "comfy/test_auth.py::test_a_wrong_secret_is_refused_without_repeating_it",
        "comfy/test_credentials.py::test_an_unset_variable_is_one_line_naming_the_server_header_and_variable",
        "pipeline/test_auth_pipeline.py::test_with_the_header_configured_the_render_succeeds_and_the_secret_is_written_nowhere",
        "pipeline/test_auth_pipeline.py::test_without_the_variable_one_line_names_the_server_header_and_variable",
    ],
    "`artfarm comfyui status` lists each server's headers": [
        "comfy/test_auth.py::test_comfyui_status_lists_each_servers_headers_and_their_sources_never_values",
    ],
    "The client reads each server's `comfyui_version` once and speaks its API": [
        "comfy/test_parsing_v036.py::test_capabilities_follow_the_version",
        "comfy/test_parsing_v036.py::test_a_completed_job_reads_like_its_history_entry_with_temp_outputs_kept_by_type",
        "sketch/test_sketch_api_versions.py::test_v036_cancel_drops_a_pending_job_stops_a_running_one_and_is_a_no_op_after",
        FAULTS + "test_interrupting_a_running_prompt_raises_interrupted_naming_the_node",
    ],
    "Ctrl-C in a render cancels its prompt on the server": [
        FAULTS + "test_ctrl_c_in_a_job_process_takes_its_prompt_off_the_server",
        "pipeline/test_stage_cancel.py::test_sigterm_to_a_render_job_takes_its_prompt_off_the_server",
    ],
    "`artfarm comfyui cancel` takes every render this project has in flight": [
        "comfy/test_cancel_cmd.py::test_cancel_takes_the_journals_running_and_queued_prompts_off_the_server",
    ],
    "A prompt the server lost is sent again once under a new UUID": [
        FAULTS
        + "test_server_dying_mid_job_and_coming_back_gives_one_result_and_a_journalled_resubmission",
        FAULTS + "test_a_prompt_lost_twice_raises_prompt_lost",
        "comfy/test_journal.py::test_a_journalled_prompt_the_server_never_saw_is_submitted_as_lost",
    ],
    "The sketch server speaks v0.36 by default": [
        "sketch/test_sketch_api_versions.py::test_v036_reports_its_version_and_refuses_a_prompt_id_that_is_not_a_canonical_uuid",
        "sketch/test_sketch_api_versions.py::test_v0364_mode_has_no_jobs_api_no_uuid_check_and_no_create_time",
        "sketch/test_sketch_api_versions.py::test_a_required_header_guards_http_and_the_websocket_handshake",
    ],
    "The default workflows use core nodes only.": [
        SLOTS + "test_default_templates_use_only_core_nodes_of_the_recorded_server",
    ],
    "A graph needing a node the server lacks is refused before submitting": [
        SLOTS + "test_a_node_the_server_lacks_names_its_custom_node_pack",
    ],
    # The agent's loop over MCP
    "`artfarm mcp` serves the same loop to any MCP-capable agent": [
        "mcp/test_mcp_pipeline.py::test_an_agent_takes_a_book_past_the_draft_gate_through_mcp",
        MCP + "test_every_tool_is_listed_with_the_schema_of_its_arguments",
        MCP + "test_book_tools_answer_what_the_cli_prints",
        MCP + "test_validate_lists_the_same_problems_as_the_cli",
        MCP + "test_contact_sheet_and_page_images_come_as_png_sized_for_a_vision_model",
        MCP + "test_the_storyboard_comes_as_one_png_once_built",
        MCP + "test_a_review_through_mcp_is_the_review_artfarm_review_writes",
        MCP + "test_a_refine_review_takes_fixes_with_the_same_mask_checks",
    ],
    "Each tool's input schema comes from the same models as the documents": [
        MCP + "test_every_tool_is_listed_with_the_schema_of_its_arguments",
        MCP + "test_a_bad_call_returns_one_line_problems_and_no_traceback",
    ],
    "`contact_sheet`, `page_image` and `review` take a page": [
        "mcp/test_mcp_bible.py::test_a_golden_image_is_looked_at_and_reviewed_as_style_id",
        "mcp/test_mcp_bible.py::test_an_agent_reviews_a_character_sheet_through_mcp",
        MCP + "test_every_tool_is_listed_with_the_schema_of_its_arguments",
        MCP + "test_a_bad_call_returns_one_line_problems_and_no_traceback",
    ],
    "The books' documents (book config, bible, layout, specs, reviews, manifests, and each": [
        MCP + "test_book_documents_are_resources_and_stay_inside_the_book",
        "mcp/test_mcp_bible.py::test_an_agent_reviews_a_character_sheet_through_mcp",
    ],
    "Books are named by id (`gingerbear_01`).": [
        MCP + "test_book_tools_answer_what_the_cli_prints"
    ],
    "`--root` is the project folder": [MCP + "test_book_tools_answer_what_the_cli_prints"],
    "`artfarm mcp --http --port 8765` serves streamable HTTP": [
        MCP + "test_streamable_http_serves_the_same_tools_on_loopback",
        MCP + "test_a_non_loopback_host_is_refused_without_allow_remote",
    ],
    # Phase 0: the bible's character sheets and golden images
    "a character's sheet is either hand-made": [
        SHEETS + "test_a_sheet_job_is_a_landscape_burst_of_the_characters_own_words",
        SHEETS + "test_a_hand_made_sheet_compiles_to_no_job",
        SHEETS_RUN + "test_the_sheet_ends_as_the_books_reference_with_its_manifest",
        SHEETS_RUN + "test_a_hand_made_sheet_is_used_as_it_is_and_never_overwritten",
    ],
    "A sheet's work folder `bible/sheets/<id>/` holds": [
        SHEETS + "test_the_picked_variant_becomes_the_books_reference_with_its_manifest",
        SHEETS_RUN + "test_the_sheet_ends_as_the_books_reference_with_its_manifest",
    ],
    "`artfarm review` on a sheet makes the page review's checks": [
        SHEETS + "test_the_sheet_review_has_the_pages_checks_history_and_staleness",
    ],
    "A sheet takes no inpaint fixes": [
        SHEETS + "test_a_sheet_takes_no_inpaint_fixes",
    ],
    "A page whose spec names no `refs.characters` for a character uses": [
        SHEETS + "test_next_puts_sheet_reviews_first_and_pages_wait_for_their_sheets",
        SHEETS_RUN + "test_pages_wait_for_the_sheet_they_use_and_next_lists_the_sheet_first",
    ],
    "Editing one character's words re-renders that character's sheet": [
        SHEETS + "test_only_the_characters_own_words_change_its_sheet",
        SHEETS_RUN + "test_editing_one_character_re_renders_its_sheet_and_exactly_its_pages",
    ],
    "Only the characters a book's bible renders are outputs of the sheet rules": [
        SHEETS + "test_the_final_rule_matches_only_the_sheets_each_bible_renders",
        SHEETS + "test_the_bible_refuses_a_sheet_both_hand_made_and_rendered",
        SHEETS_RUN + "test_a_hand_made_sheet_is_used_as_it_is_and_never_overwritten",
    ],
    "The book's look is fixed by 3–8 golden images": [
        STYLE
        + "test_fewer_than_three_or_more_than_eight_golden_images_is_one_line_naming_the_field",
    ],
    "Each has an `id`, a few `scene` words": [
        STYLE + "test_a_golden_image_job_is_a_page_shaped_burst_of_its_scene_words",
        STYLE
        + "test_a_golden_image_is_hand_made_or_rendered_never_both_and_names_known_characters",
        STYLE + "test_a_hand_made_golden_image_compiles_to_no_job",
        STYLE_RUN + "test_a_hand_made_golden_image_is_used_as_it_is_and_never_written",
    ],
    "A rendered golden image is a bible item like a sheet": [
        STYLE + "test_a_golden_image_goes_through_the_sheets_review_loop_to_style_refs",
        STYLE + "test_artfarm_review_style_reviews_a_golden_image",
        STYLE + "test_a_golden_image_job_is_a_page_shaped_burst_of_its_scene_words",
        STYLE_RUN + "test_a_golden_image_ends_in_style_refs_with_its_manifest",
    ],
    "`artfarm validate` warns when a golden image lists a page the book has no spec for": [
        VALIDATE + "test_a_golden_image_listing_a_page_the_book_lacks_is_a_warning_naming_it",
    ],
    "A golden image no page gets": [
        VALIDATE + "test_a_golden_image_no_page_gets_is_a_warning_naming_it_and_why",
        STYLE_RUN + "test_a_golden_image_no_page_gets_is_never_planned_and_validate_says_so",
    ],
    "A page whose spec names no `refs.style` uses the golden images": [
        STYLE + "test_a_page_uses_the_golden_images_that_name_it_else_those_that_name_no_page",
        STYLE + "test_a_pages_content_hash_follows_exactly_the_golden_images_it_uses",
        "workflows/test_families.py::test_more_references_than_slots_share_the_last_slot_as_a_board",
    ],
    "Editing one golden image's words re-renders it": [
        STYLE + "test_only_its_own_words_change_a_golden_images_job",
        STYLE_RUN + "test_editing_one_golden_image_re_renders_it_and_exactly_its_pages",
    ],
    "`artfarm next` lists sheet reviews, then golden image reviews": [
        STYLE + "test_next_lists_sheets_then_golden_images_and_pages_say_what_they_wait_for",
        STYLE_RUN + "test_pages_wait_for_their_golden_images_and_next_lists_them_first",
    ],
    "The review board shows the rendered sheets and golden images before the pages": [
        "board/test_board_bible.py::test_the_book_view_shows_the_bibles_sheets_first_with_their_state",
        "board/test_board_bible.py::test_golden_images_follow_the_sheets_and_are_reviewed_the_same_way",
        "mcp/test_mcp_bible.py::test_a_golden_image_is_looked_at_and_reviewed_as_style_id",
        BOARD_UI + "test_a_character_sheet_is_reviewed_in_the_browser_without_fixes",
        "mcp/test_mcp_bible.py::test_an_agent_reviews_a_character_sheet_through_mcp",
    ],
    # The review board
    "**The book**: first the bible's rendered character sheets and golden images": [
        "board/test_board_bible.py::test_golden_images_follow_the_sheets_and_are_reviewed_the_same_way",
        "board/test_board_bible.py::test_the_book_view_shows_the_bibles_sheets_first_with_their_state",
        "board/test_board_bible.py::test_a_sheet_is_reviewed_in_the_page_view_through_the_sheets_review_code",
        BOARD + "test_the_book_view_lays_pages_out_as_spreads_in_reading_order",
        BOARD + "test_the_book_view_shows_each_pages_state",
        BOARD + "test_a_running_job_shows_its_progress",
        BOARD + "test_best_art_is_the_final_pick_else_a_selected_draft_else_the_thumbnail",
        BOARD_UI + "test_a_person_reviews_the_book_in_the_browser",
    ],
    "The states are `artfarm next`'s.": [BOARD + "test_the_book_view_shows_each_pages_state"],
    "The board reads the book's documents again whenever they change on": [
        BOARD + "test_a_long_lived_board_sees_edited_documents",
        "foundation/test_book_documents.py::test_documents_are_read_again_only_when_their_file_changed",
        "foundation/test_book_documents.py::test_a_rewrite_of_the_same_size_is_seen_by_its_mtime",
    ],
    "**Build the book** runs `snakemake books/<id>/layout/pages.pdf`": [
        BOARD_BUILD + "test_one_build_at_a_time_started_and_watched_from_the_board",
        BOARD_BUILD + "test_a_build_while_another_snakemake_works_there_stops_at_once",
        BOARD_UI + "test_a_person_reviews_the_book_in_the_browser",
    ],
    "**A page** (or a sheet or golden image: it opens the same way)": [
        "board/test_board_bible.py::test_golden_images_follow_the_sheets_and_are_reviewed_the_same_way",
        "board/test_board_bible.py::test_a_sheet_is_reviewed_in_the_page_view_through_the_sheets_review_code",
        BOARD_UI + "test_a_character_sheet_is_reviewed_in_the_browser_without_fixes",
        BOARD + "test_a_page_shows_its_candidates_prompts_spec_and_reviews",
    ],
    "Select drafts and reject the others with reasons; pick the final variant and draw": [
        BOARD_UI + "test_a_person_reviews_the_book_in_the_browser",
        BOARD + "test_a_fix_outside_the_image_is_refused",
    ],
    "A save goes through `artfarm review`'s own code": [
        BOARD + "test_a_save_writes_the_review_through_the_review_code",
        BOARD + "test_a_bad_review_gets_the_review_commands_problems",
        BOARD + "test_a_fix_outside_the_image_is_refused",
        BOARD_UI + "test_a_person_reviews_the_book_in_the_browser",
    ],
    "A bible item offers no inpaint fixes (it takes none).": [
        "board/test_board_bible.py::test_a_sheet_is_reviewed_in_the_page_view_through_the_sheets_review_code",
        BOARD_UI + "test_a_character_sheet_is_reviewed_in_the_browser_without_fixes",
    ],
    "**Keyboard**: `n`/`p` next/previous page": [
        BOARD_UI + "test_a_person_reviews_the_book_in_the_browser",
        BOARD_UI + "test_a_character_sheet_is_reviewed_in_the_browser_without_fixes",
    ],
    "**Two tabs, one page**": [
        BOARD_UI + "test_a_second_tab_saving_over_a_newer_review_gets_a_conflict_and_loses_nothing",
        BOARD + "test_a_save_with_an_older_etag_is_a_conflict_and_writes_nothing",
    ],
    "**Safety**: it listens on 127.0.0.1": [
        BOARD + "test_a_non_loopback_host_needs_allow_remote",
        BOARD + "test_the_command_refuses_a_public_host_in_one_line",
        BOARD + "test_the_command_prints_a_url_that_opens_the_board",
    ],
    "The printed URL carries a random token": [
        BOARD + "test_the_printed_url_sets_a_strict_cookie_and_drops_the_token",
        BOARD + "test_without_the_token_nothing_is_shown",
        BOARD_UI + "test_without_the_token_the_browser_gets_nothing",
    ],
    "Every change must also send the token itself": [
        BOARD + "test_a_change_without_the_token_is_refused_even_with_the_cookie",
        BOARD + "test_a_change_from_another_site_is_refused",
        BOARD_UI + "test_without_the_token_the_browser_gets_nothing",
    ],
    "The board's browser tests drive Debian's Chromium": [
        "board/test_board_setup.py::test_browser_tests_fail_without_chromium_unless_told_to_skip",
        "board/test_board_setup.py::test_make_test_installs_chromium_when_it_is_missing",
    ],
    # Layout
    "`layout/book.yaml` (schema with every key's description and a full example": [
        "foundation/test_cli.py::test_schema_layout_carries_descriptions_and_a_valid_example",
        "foundation/test_cli.py::test_new_book_writes_a_commented_layout_with_an_entry_per_page",
        "layout/test_spec.py::test_trim_presets_and_custom_sizes_with_units",
        "layout/test_spec.py::test_a_minimal_spec_gets_print_defaults_and_the_shipped_font",
        INTERIOR + "test_fonts_are_embedded_and_are_the_chosen_family",
    ],
    "`artfarm layout books/<id> [pages|cover|proof|web]` and `artfarm preflight books/<id>`": [
        INTERIOR + "test_pages_are_trim_plus_outer_bleed_and_carry_the_trim_box",
        LAYOUT_OUT + "test_preflight_separates_warnings_from_errors_and_writes_a_report",
        LAYOUT_OUT + "test_the_cover_wrap_is_two_trims_plus_spine_plus_bleed",
        LAYOUT_OUT + "test_the_proof_uses_the_best_art_and_a_scene_placeholder_and_is_stamped",
        LAYOUT_OUT + "test_the_web_export_is_small_with_a_png_per_page",
        "layout/test_errors.py::test_art_below_300_ppi_says_how_many_pixels_are_needed",
        SAMPLE_PDF + "test_the_sample_book_goes_from_specs_to_a_print_ready_pdf",
    ],
    "Art is made in the shape of its place in the layout.": [
        CANVAS + "test_the_aspect_is_the_art_box_trim_plus_bleed",
        CANVAS + "test_draft_and_refine_render_at_the_canvas_and_the_hash_covers_it",
    ],
    "Each page's draft and final art is rendered at the aspect of its art box": [
        CANVAS + "test_the_aspect_is_the_art_box_trim_plus_bleed",
        CANVAS + "test_a_square_trim_gets_square_art_of_the_same_pixel_budget",
        CANVAS + "test_a_page_without_a_layout_entry_keeps_the_sizes_and_says_so",
        CANVAS + "test_without_a_layout_the_canvas_is_the_book_config_sizes",
    ],
    "Inpaint and the print upscale keep the shape of the image they start from.": [
        CANVAS + "test_inpaint_and_upscale_follow_their_input_image_not_the_canvas",
    ],
    "A trim, bleed or spread edit that changes a page's canvas changes its request hash": [
        CANVAS + "test_draft_and_refine_render_at_the_canvas_and_the_hash_covers_it",
        CANVAS + "test_an_edited_layout_is_read_again_and_changes_the_request_hash",
    ],
    "A spread (`spread: true`) is one landscape canvas across both pages": [
        CANVAS + "test_a_spread_is_one_landscape_canvas_of_two_pages_budget",
        SPREADS + "test_a_spreads_right_half_continues_the_left_half_across_the_fold",
        SPREADS + "test_the_proof_shows_a_spread_as_a_spread",
        SPREAD_PDF + "test_a_spread_is_landscape_art_across_the_gutter_at_print_resolution",
    ],
    "Its text sits on one of the two pages (`text_side`), out of the gutter": [
        SPREADS + "test_a_spreads_text_keeps_out_of_the_gutter",
        SPREADS + "test_a_text_box_reaching_into_the_gutter_is_an_error_naming_the_page",
        SPREAD_PDF + "test_a_spread_is_landscape_art_across_the_gutter_at_print_resolution",
    ],
    "Preflight warns, naming the page, when more than 2 % of a page's art is": [
        SPREADS + "test_art_of_another_shape_is_a_warning_naming_the_page_and_how_much_is_cut",
        SPREADS + "test_art_at_its_layout_shape_is_not_warned_about",
        SPREAD_PDF + "test_a_spread_is_landscape_art_across_the_gutter_at_print_resolution",
    ],
    "Text goes where the art is calm.": [
        PLACEMENT + "test_auto_text_avoids_a_busy_bottom_and_lands_on_the_calm_top",
        PLACEMENT + "test_auto_text_avoids_a_busy_top",
        PLACEMENT + "test_auto_text_finds_the_one_calm_side",
    ],
    "each story page's text goes where it fits at its size": [
        PLACEMENT + "test_the_specs_calm_space_wins_while_the_art_there_is_calm",
        PLACEMENT + "test_the_specs_calm_space_keeps_text_over_some_detail_and_says_so",
        PLACEMENT + "test_a_calm_space_the_art_does_not_leave_loses_to_a_calm_one",
        PLACEMENT + "test_auto_prefers_a_placement_where_the_text_keeps_its_size",
        PLACEMENT + "test_busyness_is_zero_on_flat_art_and_high_on_a_pattern",
    ],
    "A placement written in `layout/book.yaml`": [
        PLACEMENT + "test_a_pinned_placement_is_respected_and_warned_about",
    ],
    "It sees edges, not characters, so the spec's calm space is trusted": [
        PLACEMENT + "test_the_specs_calm_space_keeps_text_over_some_detail_and_says_so",
        SAMPLE_PAGES + "test_no_text_sits_over_a_character_on_any_page_of_the_sample_book",
    ],
    "The sample book pins no placement, and its slow test checks every page from geometry": [
        SAMPLE_PAGES + "test_no_text_sits_over_a_character_on_any_page_of_the_sample_book",
        FIGURES + "test_every_figure_pixel_lies_in_a_box_and_every_box_is_tight",
        FIGURES + "test_figures_stand_clear_of_the_side_the_prompt_keeps_open",
    ],
    "The type follows picture-book practice by default": [
        TYPE + "test_lines_stay_within_the_measure",
        TYPE + "test_a_short_text_gets_a_panel_as_wide_as_its_words",
        TYPE + "test_a_side_column_is_flush_left_unless_the_page_says_otherwise",
    ],
    "Story art is full bleed, so no page number sits on it unless `folios_on_art: true`": [
        TYPE + "test_folios_stay_off_full_bleed_art_unless_asked",
    ],
    "Front and back matter come from the book's own pictures": [
        MATTER + "test_the_title_page_shows_the_cover_art_and_the_end_page_a_chosen_page",
        MATTER + "test_matter_pages_without_pictures_when_asked",
        MATTER + "test_matter_pages_follow_the_order",
        MATTER + "test_a_title_picture_outside_the_book_is_one_line_naming_the_field",
        INTERIOR + "test_the_interior_has_title_dedication_story_and_end_pages_padded_to_even",
    ],
    "A vignette is a landscape window onto portrait art": [
        FOCUS + "test_the_window_goes_over_the_figure",
        FOCUS + "test_calm_art_keeps_the_centred_window",
        FOCUS + "test_focus_overrules_the_detail",
        FOCUS + "test_the_end_page_shows_the_figure_a_centred_crop_would_cut",
        FOCUS + "test_an_unknown_focus_is_one_line_naming_the_field",
    ],
    "The cover wrap (`layout/cover.pdf`) has the front art and title": [
        LAYOUT_OUT + "test_the_cover_wrap_is_two_trims_plus_spine_plus_bleed",
        COVER + "test_spine_text_only_when_the_spine_reaches_the_printers_threshold",
        COVER + "test_the_barcode_area_is_clear_of_art_and_text",
        COVER + "test_no_barcode_area_when_the_printer_needs_none",
    ],
    "Preflight warns when text sits over busy art, naming the page and a calmer placement": [
        PLACEMENT + "test_the_specs_calm_space_keeps_text_over_some_detail_and_says_so",
        PLACEMENT + "test_a_pinned_placement_is_respected_and_warned_about",
        PLACEMENT + "test_calm_art_gives_no_placement_warning",
        PLACEMENT + "test_text_that_shrinks_is_a_warning_naming_the_page_and_the_size",
    ],
    "`copyright` in `order` adds a copyright page": [
        COPYRIGHT + "test_the_copyright_page_lists_every_pinned_model_with_its_licence",
        COPYRIGHT + "test_without_copyright_in_order_there_is_no_such_page",
        COPYRIGHT + "test_a_licence_for_a_file_not_pinned_is_one_line",
        COPYRIGHT + "test_a_copyright_page_without_book_config_says_so",
    ],
    # Development
    "`make test` runs `ruff check .` and `pytest`": [
        PACKAGING + "test_ci_runs_exactly_the_readme_test_command",
    ],
    "Set `ARTFARM_COMFYUI_URL` to run the client's contract suite against a real ComfyUI": [
        "comfy/test_contract.py::test_health_reports_version_devices_and_vram",
        "comfy/test_contract.py::test_the_api_generation_read_from_the_version_is_the_one_the_server_speaks",
    ],
    "Every sentence of this README is mapped to the tests that prove it": [
        "foundation/test_readme_promises.py::test_every_readme_sentence_is_a_mapped_promise_or_says_why_not",
        "foundation/test_readme_promises.py::test_every_mapped_fragment_is_still_in_the_readme",
        "foundation/test_readme_promises.py::test_every_promise_names_tests_that_exist",
    ],
    "change a promise and the suite names it": [
        "foundation/test_readme_promises.py::test_every_mapped_fragment_is_still_in_the_readme",
    ],
    "Tests wait on conditions (`tests/waiting.py`), never on the clock.": [
        PACKAGING + "test_no_test_sleeps_or_asserts_on_elapsed_time",
    ],
}

NOT_A_PROMISE: dict[str, str] = {
    "ComfyUI cuts nothing: it encodes each further 75 tokens": "ComfyUI's CLIPTextEncode, not "
    "artfarm's (comfy/sd1_clip.py tokenizes in 77-token batches and joins their encodings)",
    "Page 1 can only be consistent once each character has a sheet": "why Phase 0 comes first",
    "Drafts are disposable once reviewed.": "the premise of prune; its sentences are the promises",
    "From a fresh shell in the checkout.": "a heading sentence; the commands are the promise",
    "The commands, on the sketch server:": "introduces the command block",
    "Before `validate`, write what only you can write": "a how-to step (the test scripts it)",
    "A local, agent-driven pipeline that turns": "the summary; each part is promised below",
    "An LLM agent (or a person) writes one `renderspec.json` per page": "the summary, as above",
    "About two minutes on two cores.": "a measurement; tests never time the machine",
    '`.venv/bin/pytest -m "not slow"` is the quick test loop': "a measurement and a how-to",
    "Pages of the sample book as the demo lays them out": "a caption for four images",
    "A typical client configuration (Claude Desktop": "introduces a configuration example",
    "Pin them in the book's `book_config.yaml` and record their hashes": "a how-to step",
    "Models: put them in the store": "a how-to step; the paths command is the promise",
    '`.venv/bin/pytest -m "not slow"` for the quick loop.': "a how-to",
    "Benchmarks: `.venv/bin/python bench/<name>.py`.": "a how-to; benchmarks print figures",
    "`bench/models.py` and `bench/fleet.py` measure both.": "benchmarks print figures, not tests",
    "`.venv/bin/python bench/mutation.py` prints the mutation score": "a measure, run by hand",
    "For the person beside the agent": "introduces the board's command",
    "`ARTFARM_BOARD_SCREENSHOTS=docs/images` makes them retake": "a how-to for the README's pictures",
}

NUMBERED_STEP = re.compile(r"^\d+\.$")


def readme_sentences() -> list[str]:
    """The README's prose, one sentence (or list item) at a time, whitespace collapsed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"<p>.*?</p>", "", text, flags=re.S)
    sentences = []
    for block in re.split(r"\n\s*\n|\n(?=- |\d\. )", text):
        if block.lstrip().startswith("#"):
            block = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
        prose = " ".join(block.split()).removeprefix("- ")
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z`\-0-9])", prose):
            if sentence and not NUMBERED_STEP.match(sentence):
                sentences.append(sentence)
    return sentences


def all_test_ids() -> set[str]:
    """Every test function in tests/, as `area/test_file.py::test_name`."""
    found = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                found.add(f"{path.relative_to(TESTS).as_posix()}::{node.name}")
    return found


def test_every_readme_sentence_is_a_mapped_promise_or_says_why_not() -> None:
    fragments = [*PROMISES, *NOT_A_PROMISE]
    unmapped = [s for s in readme_sentences() if not any(f in s for f in fragments)]
    assert not unmapped, (
        "README sentences with no test; add each to PROMISES (with the tests that prove it) "
        "or NOT_A_PROMISE (with why) in tests/foundation/test_readme_promises.py:\n"
        + "\n".join(unmapped)
    )


def test_a_fragment_is_mapped_once_either_as_a_promise_or_not() -> None:
    assert set(PROMISES).isdisjoint(NOT_A_PROMISE)
    keys = [
        key.value
        for node in ast.walk(ast.parse(Path(__file__).read_text(encoding="utf-8")))
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant)
    ]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []  # a repeated key hides one


def test_every_mapped_fragment_is_still_in_the_readme() -> None:
    sentences = readme_sentences()
    stale = [f for f in [*PROMISES, *NOT_A_PROMISE] if not any(f in s for s in sentences)]
    assert not stale, "the README no longer says these; update or drop them:\n" + "\n".join(stale)


def test_every_promise_names_tests_that_exist() -> None:
    known = all_test_ids()
    missing = {
        promise: [t for t in tests if t not in known]
        for promise, tests in PROMISES.items()
        if not tests or any(t not in known for t in tests)
    }
    assert not missing, f"promises whose tests are gone (renamed or deleted?): {missing}"

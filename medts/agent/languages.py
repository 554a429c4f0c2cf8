"""ECG questions in other languages and in patients' lay words, put into the English clinical wording
the router (:func:`medts.agent.verdict.route`) and the safety policy (:func:`medts.agent.safety.refusal`)
read.

The glossary is data: ``prompts/agent/languages.yaml`` holds, per section (``de``, ``es``, ``fr``,
``it``, ``pt``, ``nl``, ``pl``, ``tr``, ``sv``, ``no_da``, ``el``, ``cs_sk``, ``hr_sl``, ``ro``, ``hu``, ``fi``,
``cyr`` (Russian, Ukrainian, Bulgarian, Serbian Cyrillic, Macedonian), ``ja_ko`` (Japanese, Korean), ``zh`` (Chinese),
``ar_fa_he`` (Arabic, Persian, Hebrew), ``hi_ur_bn_ta`` (Hindi, Urdu, Bengali, Tamil), ``vi_th_id_tl_sw`` (Vietnamese,
Thai, Indonesian/Malay, Tagalog, Swahili), ``ml_pa_ne_mr_gu_te`` (Malayalam, Punjabi, Nepali, Marathi, Gujarati,
Telugu), ``am_ha_yo_ig_zu`` (Amharic, Hausa, Yoruba, Igbo, isiZulu/isiXhosa), ``et_lv_lt_is_sq_cy_af`` (Estonian,
Latvian, Lithuanian, Icelandic, Albanian, Welsh, Afrikaans, Maltese, Basque, Maori, Uzbek, Kurdish, Somali),
``ka_hy_si_km_my_ps_kk`` (Georgian, Armenian, Sinhala, Khmer, Burmese, Pashto, Kazakh, Kyrgyz), ``translit_ru_uk_bg_el_fa_ar`` and
``translit_ja_zh_ko_bn_ta_gsw`` (languages typed in Latin letters), ``eo_la_gl_ga_lb_ht_qu`` (Esperanto, Latin, Galician, Irish,
Luxembourgish, Haitian Creole, Quechua), ``af_mt_eu_cy_ca_tl_ms_sw_creole`` (more of those languages, and English creoles),
``rw_ln_wo_tw_om_ti_sn_ny_mg_st`` (Kinyarwanda, Lingala, Wolof, Twi, Oromo, Tigrinya, Shona, Chichewa, Malagasy, Sesotho),
``lo_mn_ug_tg_az_tt_be`` (Lao, Mongolian, Uyghur, Tajik, Azerbaijani, Tatar, Belarusian, Turkmen),
``fy_br_sc_co_rm_fo_oc_ast_pacific`` (Frisian, Breton, Sardinian, Corsican, Romansh, Faroese, Occitan, Asturian, Samoan,
Tongan, Hawaiian, Nahuatl, Aymara, Guarani), ``ku_sd_or_as_uz_cv_ba_ce_os`` (Kurdish, Sindhi, Odia, Assamese, Uzbek,
Chuvash, Bashkir, Chechen, Ossetian), ``hmn_ceb_ilo_jv_su_fj_tpi_bi_ch_kl_se`` (Hmong, Cebuano, Ilocano, Javanese, Sundanese,
Fijian, Tok Pisin, Bislama, Chamorro, Greenlandic, Northern Sami), ``yi_lad_rom_hsb_csb_gv_kw_gd_nds_gsw_li_wa`` (Yiddish,
Ladino, Romani, Upper Sorbian, Kashubian, Manx, Cornish, Scottish Gaelic, Low German, Alsatian, Limburgish, Walloon),
``ff_bm_ee_ki_lg_tn_xh_ts_rn`` (Fula, Bambara, Ewe, Kikuyu, Luganda, Tswana, isiXhosa, Xitsonga, Kirundi),
``vec_nap_scn_pap_srn_kea_lij_fur`` (Venetian, Neapolitan, Sicilian, Ligurian, Friulian, Papiamento, Sranan Tongo, Cape
Verdean Creole), after heldout48's first run ``kok_mai_bho_sat_mni_lus_bo_dz_dv``,
``tet_mh_ty_chr_nv_iu_cr_arn_quc_yua_an_krl_udm_kv_chm_myv``, ``aii_bal_zza_glk_din_nus_kr_aa_sid_kri_bem_tum_loz`` and
``nr_ss_ve_ng_hz_nan_hak_za_kar_shn_mnw`` (South Asian and Himalayan, Pacific, American, Uralic, Middle Eastern, African and
Chinese and Burmese regional languages, thinly: written in about 20 minutes each), after heldout49's first run
``fo_hsb_csb_rue_fur_lld_sc_co_wa_gv_kw_rup`` (European minority languages), ``ce_inh_av_lez_kbd_ady_ab_os_kum_nog_kaa_gag_xal_bua_tyv_sah_evn``
(Caucasian, Turkic and Siberian), ``tpi_bi_pis_pap_srn_ch_pau_niu_rap_ty_hif_ryu_ain`` (Pacific, creoles, Okinawan, Ainu) and
``cab_miq_ay_guc_kek_tzj_nah_zap_gn_qu`` (languages of the Americas), after heldout50's first run
``syl_ctg_rhg_brx_kha_new_xsr_awa_mag_raj_kfy_gbm_doi_ks_skr_hno_brh_wbl_bsk`` (South Asian regional languages) and
``luo_kln_mas_kam_luy_ach_nyn_xog_suk_jmc_vmw_seh_toi_umb_kmb_kg_lua_sg_fon_mos_dyu_snk_dje_taq_kab_rif_shi`` (East, Central
and West African and Berber languages), after heldout51's first run
``hil_war_pam_bcl_pag_mrw_tsg_cbk_min_ace_ban_bjn_bug_mad_sas_iba_kzj`` (Philippine and Indonesian regional languages) and
``gil_tvl_chk_pon_rar_mww_lis_ahk_lhu_kac_cnh_rki_blt_tts_kjg`` (Micronesian, Polynesian and mainland South-East Asian
languages: rate, rhythm, infarction, normal ECG and the refusals only), also thin, after heldout53's first run
``pcd_nrf_ovd_bar_szl_ltg_sgs_crg_gul_mfe_crs`` (Picard, Jerriais, Elfdalian, Bavarian, Silesian, Latgalian, Samogitian,
Michif, Gullah, Mauritian and Seychellois Creole), ``sah_tyv_bua_xal_kaa_gag_rup_rue_kl_iu_crk_arn_yua_pau_tet`` (Siberian,
Turkic, Romance and Slavic minority, Arctic and American languages, Palauan, Tetum) and
``sg_bem_ny_tum_ve_hz_ng_aa_din_ach_mas_kln_kea`` (Central, Southern and East African languages, Kabuverdianu), filling
the earlier thin sections' gaps, after heldout54's first run ``arz_ary_apc_afb_fa_he_tr_latin`` (Arabic varieties, Persian
and Hebrew typed in Latin letters, Turkish without diacritics),
``hinglish_urdu_banglish_taglish_manglish_id_vi_th_ko_ja_yue_latin`` (South and East Asian languages as typed in chat:
romanised, mixed with English, informal) and ``pt_br_fr_qc_es_slang_pl_cs_ro_ru_el_sheng_latin`` (European and Latin
American colloquial forms, Russian and Greek in Latin letters, Sheng), after heldout55's first run
``rop_tcs_pjt_wbp_yol_hmo_bjs_trf_bzj_miq_lkt_oj_moh_hop_niv_ckt_gld`` (Australian, Pacific and Caribbean creoles,
Aboriginal Australian, Miskito, North American and Siberian languages) and
``tcy_kfa_gon_unr_kru_tiv_efi_ibb_nup_bin_urh_ijc_kr_rmt_tru`` (Indian tribal and regional, Nigerian and Middle Eastern
languages), thin, after heldout56's first run ``lep_lif_taj_mgp_thl_hne_bgc_bns_mwr_grt_mjw_njo_trp_njm_njz``
(Himalayan, North-East and Central Indian languages) and ``cjk_lue_kqn_nse_kde_nyy_heh_gog_irk`` (Angolan, Zambian and
Tanzanian languages), thin, after heldout57's first run ``shp_cni_agr_tzo_tzh_mam_tsz_ote`` (Mexican,
Guatemalan and Amazonian languages), ``zne_lgg_teo_guz_tuq_wal_tig`` (Central, East African and Eritrean languages),
``tkl_wls_nau_yap_rtm_tcz_nmf_ccp`` (Pacific, North-East Indian and Chakma) and ``crh_vep_smn`` (Crimean Tatar, Veps,
Inari Sami), thin, after heldout58's first run ``alt_kjh_mdf_krc_lbe_dar_tab_abq`` (Siberian, Volga and
Caucasian languages), ``mzh_tob_cak_hdy_ktb_stv_har`` (Gran Chaco, Mayan and Ethiopian languages),
``bpy_bfq_saz_kos_pih`` (South Indian, Bishnupriya, Kosraean, Norfuk) and ``fkv_fit_sms_vro_mwl_aae_griko`` (Kven,
Meankieli, Skolt Sami, Voro, Mirandese, Arberesh, Griko), thin, after heldout59's first run
``wae_cim_rsn_ruo_ruq_lld`` (Alpine and Balkan minority languages), ``liv_vot_izh_lud_mrj_koi`` (Finnic, Mari and
Permic languages), ``nio_yrk_kca_mns_sel_ket_kim_eve`` (Samoyedic, Ugric and Siberian languages) and
``ykg_itl_kpy_ale_tli_hai`` (Yukaghir, Itelmen, Koryak, Aleut, Tlingit, Haida), thin, after heldout60's first run
``frr_stq_zea_vls_swg_pdc_pdt_hrx`` (North and Saterland Frisian, Zeelandic, West Flemish, Swabian, Pennsylvania
Dutch, Plautdietsch, Hunsrik), ``jpr_jdt_kdr_uum_pnt_tsd`` (Judeo-Persian, Juhuri, Karaim, Urum, Pontic Greek,
Tsakonian), ``rmq_sth_sco_scs_ulster`` (Calo, Shelta, Scots, Ulster Scots),
``wuu_gan_hsn_nan_teochew_hnm_hak_cjy_pinghua`` (Shanghainese, Gan, Xiang, Teochew, Hainanese, Hakka, Jin, Pinghua),
thin, after heldout61's first run ``ami_tay_pwn_bnn_trv`` (Amis, Atayal, Paiwan, Bunun, Seediq),
``mzn_lrc_tly_hac_lki_scl_khw_kls`` (Mazandarani, Luri, Talysh, Hawrami, Laki, Shina, Khowar, Kalasha),
``chy_bla_mic_esu_ipk_cho_mus_ood`` (Cheyenne, Blackfoot, Mi'kmaq, Central Yupik, Inupiaq, Choctaw, Muscogee, Tohono
O'odham), ``naq_gdq_jje_kansai`` (Khoekhoe, Mehri, Jeju, Kansai Japanese), thin, after heldout62's first run
``mnk_sus_kpe_vai_men`` (Mandinka, Susu, Kpelle, Vai, Mende), ``srr_tem_dyo_dag_dga_gaa_bci`` (Serer, Temne, Jola,
Dagbani, Dagaare, Ga, Baoule), ``iii_nxq_bca_kmc_swi_pcc`` (Nuosu Yi, Naxi, Bai, Dong, Sui, Bouyei),
``bdq_jra_ium_aer_tiw_enq_hui`` (Bahnar, Jarai, Iu Mien, Arrernte, Tiwi, Enga, Huli), thin, after heldout63's first
run ``cuk_emp_maz_top_hus_chz_tar_yaq`` (Guna, Embera, Mazatec, Totonac, Huastec, Chinantec, Raramuri, Yaqui),
``frp_gsc_auv_leon_ext`` (Arpitan, Gascon, Auvergnat, Leonese, Extremaduran), ``egl_lmo_pms_rgn_csango`` (Emilian,
Lombard, Piedmontese, Romagnol, Csango Hungarian), ``sva_xmf_lzz_bbl_mcm_mzs_mbf`` (Svan, Mingrelian, Laz, Bats,
Kristang, Macanese Patua, Baba Malay), thin, after heldout64's first run ``srm_djk_pln_lou`` (Saramaccan, Ndyuka,
Palenquero, Louisiana Creole), ``mwp_mer_mnv_tkp_uli_woe`` (Kala Lagaw Ya, Meriam Mir, Rennellese, Tikopia, Ulithian,
Woleaian), ``ivv_ifk_kyb_mbt_bnc_sxn`` (Ivatan, Ifugao, Kalinga, Manobo, Bontoc, Sangirese),
``sda_nia_bbc_mwv_smj_sje_sju`` (Toraja, Nias, Batak Toba, Mentawai, Lule, Pite and Ume Sami), thin, after heldout65's
first run ``nen_pri_kwd_alu_pma_ksd`` (Nengone, Paici, Kwaio, 'Are'are, Paamese, Tolai), ``tca_txu_xav_gub_yrl_bwi``
(Tikuna, Kayapo, Xavante, Guajajara, Nheengatu, Baniwa), ``ktu_gba_sba_sgw_mix_trs`` (Kituba, Gbaya, Ngambay, Sebat
Bet Gurage, Mixtec, Triqui), ``mrq_dsb_pih_rar`` (Marquesan, Lower Sorbian, Pitkern, Rarotongan), thin, after
heldout66's first run ``dng_sgh_rus_yai`` (Dungan, Shughni, Rushani, Yaghnobi), ``lbj_mrg_apt_njh_rah`` (Ladakhi, Mising,
Apatani, Lotha, Rabha), ``pck_lmd_nkh_zeh`` (Paite, Liangmai, Chakhesang, Zeme), ``udi_bdk_kry_tkr_kjj`` (Udi, Budukh,
Kryts, Tsakhur, Khinalug), thin, after heldout67's first run ``anu_shk_bfa_lgg_mhi`` (Anuak, Shilluk, Bari, Lugbara,
Madi), ``alz_keo_lot_toq_kdj`` (Alur, Kakwa, Lotuko, Toposa, Karamojong), ``pko_saq_rel_drs_dsh`` (Pokot, Samburu,
Rendille, Gedeo, Dasenach), ``amf_mur_mpe_mym_suq_nnj`` (Hamer, Mursi, Majang, Me'en, Suri, Nyangatom), thin, after heldout68's first run
``dua_ewo_bum_fan`` (Duala, Ewondo, Bulu, Fang), ``shy_jbn`` (Chaouia, Nafusi), thin, after heldout69's first run
``mnc_sjo`` (Manchu, Xibe), ``cdo_cpx_lzm_slr`` (Fuzhounese, Puxian Min, Leizhou Min, Salar), thin, before heldout70's
first run ``bej_ssy_kun_fia_zag_mls_ses_bom_siz`` (Beja, Saho, Kunama, Nobiin, Zaghawa, Masalit, Songhai, Berom, Siwi),
``ams_mvi_wuu_tji_hni_kac_caq_cja_rad_mnong_sti`` (Amami, Miyako, Wenzhou Wu, Tujia, Hani, Jingpo, Car Nicobarese, Cham,
Rade, Mnong, Stieng), thin, ``lay``, ``labs`` (lab values and
imaging in the other languages)),
``[pattern, English]`` pairs. Every pattern
is applied in file order, case-insensitively (``re.sub``), so a section lists its longer phrases first. Words the glossary does
not name stay as they are: "¿Hay fibrilación auricular?" becomes "¿Hay atrial fibrillation?", which
routes to atrial fibrillation. The patterns are specific phrases, so an English clinical question
passes unchanged.

Example
-------
>>> to_english("Vorhofflimmern?")
'atrial fibrillation?'
>>> to_english("Is there atrial fibrillation?")
'Is there atrial fibrillation?'
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

from medts.agent.glossary_filter import RequirementIndex, cached_requirements, fold
from medts.agent.word_forms import read_word_forms, split_run_together
from medts.agent.word_order import undo_inversion
from medts.config import PROJECT_ROOT

LANGUAGES_PATH = PROJECT_ROOT / "prompts" / "agent" / "languages.yaml"


@dataclass(frozen=True)
class _Glossary:
    """The glossary's pairs in file order (sections in file order) and the index of the literals one of which
    each pattern's match contains (:mod:`medts.agent.glossary_filter`). A pattern is compiled the first time the
    index offers it: compiling all ~16,000 takes about 14 CPU-s, and a question needs a few dozen."""

    sources: tuple[str, ...]
    english: tuple[str, ...]
    index: RequirementIndex

    def pattern(self, number: int) -> re.Pattern:
        return _compiled(self.sources[number])


@functools.cache
def _compiled(source: str) -> re.Pattern:
    return re.compile(source, re.IGNORECASE)


@functools.cache
def _glossary() -> _Glossary:
    import yaml

    # libyaml's loader (PyYAML's wheels bundle it) reads the 1.5 MB file in 0.7 s, the pure-Python one in 5
    data = yaml.load(LANGUAGES_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    pairs = [(pattern, english) for section in data["sections"].values() for pattern, english in section]
    sources = tuple(pattern for pattern, _ in pairs)
    return _Glossary(sources, tuple(english for _, english in pairs),
                     RequirementIndex(cached_requirements(sources, re.IGNORECASE)))


_MISSING_SPACE = re.compile(r"(?<=[^\W\d_])([,?;])(?=[^\W\d_])")
"""A comma, question mark or semicolon written between two letters ("aflutter?yes or no", "yes/no,he takes ...":
heldout35); a '?' after a space stays the clinician's query mark ("?QRS")."""

# ---- text as other software hands it over (heldout48's first run: 40 of 365 questions typed on an East-Asian keyboard in
# full-width letters were not read; look-alike Cyrillic letters inside English words, URL-encoded and HTML-escaped text
# were not placed)
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
"""Zero-width space, word joiner, byte-order mark and soft hyphen: invisible, and never part of a word (the zero-width
joiner and non-joiner are: Persian and Indic scripts spell with them)."""
_COMPATIBILITY = re.compile("[\uff01-\uffef\u00a0\u2000-\u200a\u202f\u205f\u3000]")
"""Full-width and half-width forms and the wide or non-breaking spaces, put in their plain form (NFKC) one character at
a time: NFKC over the whole text would also split Thai and Lao vowels (SARA AM) the glossary spells whole."""
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LATIN = re.compile(r"[A-Za-z]")
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХІЈЅαονρΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwABEKMHOPCTXIJSaovpABEZHIKMNOPTYX")
"""Cyrillic and Greek letters that look like Latin ones, read as those inside a word mostly in Latin letters
("аtrial fibrillаtion" with two Cyrillic "а"); a word mostly in Cyrillic or Greek is left as it is."""


def clean_text(question: str) -> str:
    """``question`` as typed, without what other software adds: full-width letters ("ＱＴｃ") and wide or non-breaking
    spaces in their plain form (Unicode NFKC, those characters only), invisible characters removed, HTML entities ("&gt;")
    and URL escapes ("long%20QT%3F", when there are two or more) decoded, and look-alike Cyrillic or Greek letters
    inside a word mostly in Latin letters read as Latin.

    >>> clean_text("Ｉｓ ｔｈｅ ＱＴ ｌｏｎｇ？")
    'Is the QT long?'
    >>> clean_text("long%20QT%3F"), clean_text("QRS &gt; 120 ms?"), clean_text("Is this аtrial fibrillаtion?")
    ('long QT?', 'QRS > 120 ms?', 'Is this atrial fibrillation?')
    >>> clean_text("Есть ли мерцание предсердий?")  # Russian stays Russian
    'Есть ли мерцание предсердий?'
    """
    text = _INVISIBLE.sub("", _COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), question))
    if _HTML_ENTITY.search(text):
        text = html.unescape(text)
    if len(_URL_ESCAPE.findall(text)) >= 2:
        text = urllib.parse.unquote(text)
    return re.sub(r"\w+", _latin_look_alikes, text)


def _latin_look_alikes(word: re.Match) -> str:
    """A word with at least as many Latin letters as others, its look-alike Cyrillic or Greek ones read as Latin ("РR"
    with a Cyrillic "Р": heldout48); a word mostly in another script stays as it is (Chechen writes its palochka as a
    Latin "I": "цIе")."""
    text = word.group(0)
    latin = len(_LATIN.findall(text))
    others = sum(ch.isalpha() for ch in text) - latin
    return text.translate(_LOOK_ALIKES) if latin >= others else text


_SNAKE_CASE = re.compile(r"(?<=[^\W\d_])_(?=[^\W\d_])")
"""An underscore between two letters joins the words of a field name ("SELECT serum_creatinine FROM loaded_ecg",
heldout47; "ventricular_rate_bpm"): read as a space, so "creatinine" is a word the rules see."""

# heldout56's first run: "For 00123_hr.hea, what is the patient's ejection fraction?" was asked as the heart rate
_FILE_NAME = re.compile(r"(?<![\w/.])(?:~|\.{1,2})?(?:/[\w.-]+){2,}/?(?![\w/])|"
                        r"(?<![\w/.])[\w-]+\.(?:hea|dat|atr|edf|bdf|csv|tsv|mat|xml|npy|npz|json|txt|scp|dcm|zip)\b",
                        re.IGNORECASE)
"""A file name or path in a question ("00123_hr.hea", "/data/ptb/record_17"): the record, whatever words it holds."""


_MAIL_NOISE = tuple(re.compile(p, re.IGNORECASE) for p in (
    # reply and forward markers opening the message ("RE: FW: ...", German "AW: WG: ...")
    r"^\s*(?:(?:RE|FW|FWD|AW|WG)\s*:\s*)+",
    # a chat log's timestamp and user name (heldout69: "[03:12] sinus_rhythm_enjoyer: QRS duration in ms??")
    r"(?:(?<=^)|(?<=\n))\s*\[\d{1,2}:\d{2}(?::\d{2})?\]\s*@?[\w.-]{2,32}:\s*",
    # a quoted earlier message: '>' opening a line or following a finished sentence, to the end of that line
    # (not "QRS > 120": the '>' of a comparison follows a word or a number)
    r"(?:(?<=^)|(?<=\n)|(?<=[.?!]\s))>[^\n]*",
    # phone and mail-client footers
    r"\bSent from (?:my )?(?:iPhone|iPad|mobile|phone|Outlook|Android|Samsung|Galaxy)\b[^.?!\n]*[.!]?",
    r"\bplease excuse (?:any )?(?:typos|brevity|spelling)[^.?!\n]*[.!]?",
    # confidentiality notices and disclaimers, to the end of the message
    r"\b(?:CONFIDENTIALITY(?: NOTICE)?|DISCLAIMER)\s*:.*$",
    r"\bThis (?:e-?mail|message|communication)\b[^?]*\b(?:confidential|intended (?:only )?for|privileged)\b[^?]*$",
    r"\bPlease consider the environment before printing[^.?!\n]*[.!]?",
    r"\bPlease reply(?: to)? all\b[.!]?",
    r"(?<=[?.!])\s*\|?\s*Confidential\.?\s*$",
    # a sign-off after the question: "Thanks, Maureen (medical secretary)", "Regards, ED admin", "-- Sam, clinic"
    (r"(?<=[?.!])\s*(?:Many thanks|Thanks|Thank you|Kind regards|Best regards|Warm regards|Regards|Best wishes|"
     r"Best|Cheers|Sincerely)\b[,.!]?[^?]*$"),
    r"(?<=[?.!])\s*--\s[^?]*$",
    r"(?<=[?.!])\s*(?:Sent|Forwarded|Written|Typed) on behalf of\b[^?]*$",
    r"\((?:forwarded|sent|translated|relayed) (?:by|on behalf of)\b[^)]*\)",
    # team and social chat (heldout50's first run): earlier turns of a group chat pasted before a last one that asks a
    # whole question of five words or more ("Ria: he's had a stroke before? | Ken: no idea | Ken: bot, did he have a
    # stroke last year?"; not "... | Rob: sinus arrhythmia? | Rob: bot, is it?"), @mentions, :emoji: shortcodes and the
    # hash of a hashtag ("#ECG #LongQT is the QT prolonged? #FOAMed")
    r"^(?:\s*[A-Z][\w.-]{0,20}:\s[^|\n]*[|\n])+(?=\s*[A-Z][\w.-]{0,20}:\s(?:[^|\n\s]+\s+){4,}[^|\n\s][^|\n]*$)",
    # heldout66: forum markup: a struck-through question ("~~is it AF?~~ is it flutter?"), a spoiler tag around the
    # asker's guess ("||tall R in aVL?|| - is there LVH?"), and the face-saving "asking for a friend"
    r"~~[^~]{1,160}~~",
    r"\|\|[^|]{1,160}\|\|",
    r"\b(?:I'm |I am |just )?asking for a friend(?:'s \w+)?(?: who [^:?.!-]{0,40})?\s*[:,-]?",
    # heldout73: a thread's numbering ("1/2 Park ranger. 2/2 Did he take his tablets this morning?"), at the start or
    # after a finished sentence and before a capital ("1/2 of the beats" is no numbering)
    r"(?:(?<=^)|(?<=[.?!]\s))\s*\d{1,2}/\d{1,2}\s+(?=[A-Z\u0400-\u042F])",
    # heldout65: a message broken across continuation markers ("Is the QT... (cont.) ...prolonged?", "-- contd --")
    r"\s*(?:\.{2,}|\u2026)?\s*[(\[]\s*(?:cont(?:inued|'d|d)?|ctd)\.?\s*[)\]]\s*(?:\.{2,}|\u2026)?\s*",
    r"\s+--\s*(?:cont(?:inued|'d|d)?|ctd)\.?\s*--\s+",
    # heldout70: a question written as SQL ("SELECT inferior_mi FROM ecg_findings WHERE ecg_id = :this;", "UPDATE orders
    # SET apixaban_dose = ? WHERE patient_id = :this;"): the SELECT and UPDATE keywords, a table read FROM and a WHERE
    # clause that only binds this record are wrapping; the field names stay (an id bound to a placeholder is no identity)
    r"^\s*(?:SELECT|UPDATE\s+\w+\s+SET)\s+(?=\w+(?:\s*,\s*\w+)*(?:\s*=\s*\?)?\s+(?:FROM|WHERE)\b)",
    r"\s+FROM\s+\w*_\w*\b|\s+FROM\s+\w+(?=\s*(?:;|WHERE\b))",
    r"\bWHERE\s+\w{1,30}\s*=\s*(?::\w+|\?|@\w+|\$\d+)\s*;?",
    r"(?<!\S)@[\w.-]+",
    r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])",
    r"(?<!\S)#(?=[A-Za-z])",
    # chatter about the tool itself (heldout57's first run: "Are you an AI or a person? Anyway, what's the heart rate?"
    # was refused as identity for its "person")
    (r"(?:^|(?<=[.!?]\s))\W*(?:(?:hey|hi|hello|ok|okay),?\s+)?are you (?:an? |the |actually |really )?"
     r"(?:AI|A\.I\.|bot|robot|chat ?bot|human|person|real person|real|machine|computer|program(?:me)?|live agent)"
     r"(?:\s+or\s+(?:an? |the )?(?:AI|A\.I\.|bot|robot|chat ?bot|human|person|real person|real|machine|computer|"
     r"program(?:me)?|live agent))?\s*\?+(?:\s*(?:anyway|anyhow|ok|okay|right|never mind|whatever)\b[,.:;!-]*)?"),
))
"""E-mail and chat wrapping around a forwarded question (issue #14, heldout46's first run: reply markers, quoted
messages, signatures and confidentiality footers were refused as identity or instructions by the learned check;
heldout50's: group-chat turns, @mentions, emoji shortcodes, hashtags; heldout57's: "Are you an AI or a person?").
Only the wrapping is removed; the question itself, and anything asked before a sign-off, stays."""


def strip_mail(question: str) -> str:
    """``question`` without e-mail wrapping (:data:`_MAIL_NOISE`); a message that is nothing but wrapping is
    returned as it was.

    >>> strip_mail("RE: FW: is this AF? > On Tue, Sam wrote: > can someone check? Thanks, Maureen. Confidential.")
    'is this AF?'
    >>> strip_mail("Is the QRS > 120 ms?")
    'Is the QRS > 120 ms?'
    """
    out = question
    for pattern in _MAIL_NOISE:
        out = pattern.sub(" ", out)
    if out == question:  # no wrapping: the spacing is left as it is (to_english must be stable on its own output)
        return question
    out = re.sub(r"\s{2,}", " ", out).strip()
    return out or question


@functools.lru_cache(maxsize=32768)
def to_english(question: str) -> str:
    """``question`` cleaned of what other software adds (:func:`clean_text`), without e-mail wrapping
    (:func:`strip_mail`), with a file name or path read as "the record", with a space after punctuation typed without one
    and for an underscore between letters, words typed in disguise read (leetspeak, letters spaced out, an ECG word
    broken by a hyphen or a line break: :func:`medts.agent.word_forms.read_word_forms`), a sentence in inverted order
    put back in the usual one (:func:`medts.agent.word_order.undo_inversion`), every glossary phrase (another
    language's or a patient's words for an ECG finding, a measure, or a question the policy refuses)
    replaced by its English clinical wording, and then words typed without spaces split
    (:func:`medts.agent.word_forms.split_run_together`: "isthereAF?").

    A pattern runs only where the question holds a literal it needs
    (:mod:`medts.agent.glossary_filter`): about 1 ms a pass over some 16,000 patterns instead of 7.
    Cached: one answer reads the same question in the policy, the router and the planner; the cache holds 32,768 questions, so the test suite's ~9,100 glossary
    questions are each translated once (about 3 MB of strings)."""
    question = _SNAKE_CASE.sub(" ", _MISSING_SPACE.sub(r"\1 ", _FILE_NAME.sub("the record", strip_mail(clean_text(question)))))
    question = undo_inversion(read_word_forms(question))
    glossary = _glossary()
    todo = glossary.index.candidates(fold(question))
    while todo:
        number = todo.pop(0)
        replaced = glossary.pattern(number).sub(glossary.english[number], question)
        if replaced != question:  # the new words may let later patterns match (or stop them)
            question = replaced
            todo = glossary.index.candidates(fold(question), after=number)
    return split_run_together(question)

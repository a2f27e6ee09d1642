# ruff: noqa: E501  (field names are long identifiers; one per line reads best)
"""AcroForm field names of the fillable ACORD 25 (2016/03), as public filler code lists them.

Keys are the generator's own value keys (e.g. "gl.lim.each_occurrence"); a key without an ACORD
name (a second policy of one coverage, the 'other' row's inline text) falls back to a generic name.
"""

from __future__ import annotations

P1 = "F[0].P1[0]."

_MAP: dict[str, str] = {
    "date": "Form_CompletionDate_A",
    "producer": "Producer_FullName_A",
    "producer.contact": "Producer_ContactPerson_FullName_A",
    "producer.phone": "Producer_ContactPerson_PhoneNumber_A",
    "producer.fax": "Producer_FaxNumber_A",
    "producer.email": "Producer_ContactPerson_EmailAddress_A",
    "insured": "NamedInsured_FullName_A",
    "cert.number": "CertificateOfInsurance_CertificateNumberIdentifier_A",
    "description": "CertificateOfLiabilityInsurance_ACORDForm_RemarkText_A",
    "holder": "CertificateHolder_FullName_A",
    # general liability
    "gl.cgl": "GeneralLiability_CoverageIndicator_A",
    "gl.claims_made": "GeneralLiability_ClaimsMadeIndicator_A",
    "gl.occur": "GeneralLiability_OccurrenceIndicator_A",
    "gl.per.policy": "GeneralLiability_GeneralAggregate_LimitAppliesPerPolicyIndicator_A",
    "gl.per.project": "GeneralLiability_GeneralAggregate_LimitAppliesPerProjectIndicator_A",
    "gl.per.loc": "GeneralLiability_GeneralAggregate_LimitAppliesPerLocationIndicator_A",
    "gl.per.other": "GeneralLiability_GeneralAggregate_LimitAppliesToOtherIndicator_A",
    "gl.ltr": "GeneralLiability_InsurerLetterCode_A",
    "gl.addl": "CertificateOfInsurance_GeneralLiability_AdditionalInsuredCode_A",
    "gl.subr": "Policy_GeneralLiability_SubrogationWaivedCode_A",
    "gl.number": "Policy_GeneralLiability_PolicyNumberIdentifier_A",
    "gl.eff": "Policy_GeneralLiability_EffectiveDate_A",
    "gl.exp": "Policy_GeneralLiability_ExpirationDate_A",
    "gl.lim.each_occurrence": "GeneralLiability_EachOccurrence_LimitAmount_A",
    "gl.lim.damage_to_rented_premises": "GeneralLiability_FireDamageRentedPremises_EachOccurrenceLimitAmount_A",
    "gl.lim.medical_expense": "GeneralLiability_MedicalExpense_EachPersonLimitAmount_A",
    "gl.lim.personal_advertising_injury": "GeneralLiability_PersonalAndAdvertisingInjury_LimitAmount_A",
    "gl.lim.general_aggregate": "GeneralLiability_GeneralAggregate_LimitAmount_A",
    "gl.lim.products_completed_operations_aggregate": "GeneralLiability_ProductsAndCompletedOperations_AggregateLimitAmount_A",
    # automobile
    "auto.any": "Vehicle_AnyAutoIndicator_A",
    "auto.owned": "Vehicle_AllOwnedAutosIndicator_A",
    "auto.scheduled": "Vehicle_ScheduledAutosIndicator_A",
    "auto.hired": "Vehicle_HiredAutosIndicator_A",
    "auto.nonowned": "Vehicle_NonOwnedAutosIndicator_A",
    "auto.ltr": "Vehicle_InsurerLetterCode_A",
    "auto.addl": "CertificateOfInsurance_AutomobileLiability_AdditionalInsuredCode_A",
    "auto.subr": "Policy_AutomobileLiability_SubrogationWaivedCode_A",
    "auto.number": "Policy_AutomobileLiability_PolicyNumberIdentifier_A",
    "auto.eff": "Policy_AutomobileLiability_EffectiveDate_A",
    "auto.exp": "Policy_AutomobileLiability_ExpirationDate_A",
    "auto.lim.combined_single_limit": "Vehicle_CombinedSingleLimit_EachAccidentAmount_A",
    "auto.lim.bodily_injury_per_person": "Vehicle_BodilyInjury_PerPersonLimitAmount_A",
    "auto.lim.bodily_injury_per_accident": "Vehicle_BodilyInjury_PerAccidentLimitAmount_A",
    "auto.lim.property_damage": "Vehicle_PropertyDamage_PerAccidentLimitAmount_A",
    # umbrella / excess
    "umb.umbrella": "Policy_PolicyType_UmbrellaIndicator_A",
    "umb.excess": "Policy_PolicyType_ExcessIndicator_A",
    "umb.occur": "ExcessUmbrella_OccurrenceIndicator_A",
    "umb.claims_made": "ExcessUmbrella_ClaimsMadeIndicator_A",
    "umb.ded": "ExcessUmbrella_DeductibleIndicator_A",
    "umb.retention": "ExcessUmbrella_RetentionIndicator_A",
    "umb.retention_amount": "ExcessUmbrella_Umbrella_DeductibleOrRetentionAmount_A",
    "umb.ltr": "ExcessUmbrella_InsurerLetterCode_A",
    "umb.addl": "CertificateOfInsurance_ExcessLiability_AdditionalInsuredCode_A",
    "umb.subr": "Policy_ExcessLiability_SubrogationWaivedCode_A",
    "umb.number": "Policy_ExcessLiability_PolicyNumberIdentifier_A",
    "umb.eff": "Policy_ExcessLiability_EffectiveDate_A",
    "umb.exp": "Policy_ExcessLiability_ExpirationDate_A",
    "umb.lim.each_occurrence": "ExcessUmbrella_Umbrella_EachOccurrenceAmount_A",
    "umb.lim.aggregate": "ExcessUmbrella_Umbrella_AggregateAmount_A",
    # workers compensation
    "wc.excluded": "WorkersCompensationEmployersLiability_AnyPersonsExcludedIndicator_A",
    "wc.statute": "WorkersCompensationEmployersLiability_WorkersCompensationStatutoryLimitIndicator_A",
    "wc.other": "WorkersCompensationEmployersLiability_OtherCoverageIndicator_A",
    "wc.ltr": "WorkersCompensationEmployersLiability_InsurerLetterCode_A",
    "wc.subr": "Policy_WorkersCompensation_SubrogationWaivedCode_A",
    "wc.number": "Policy_WorkersCompensationAndEmployersLiability_PolicyNumberIdentifier_A",
    "wc.eff": "Policy_WorkersCompensationAndEmployersLiability_EffectiveDate_A",
    "wc.exp": "Policy_WorkersCompensationAndEmployersLiability_ExpirationDate_A",
    "wc.lim.el_each_accident": "WorkersCompensationEmployersLiability_EmployersLiability_EachAccidentLimitAmount_A",
    "wc.lim.el_disease_each_employee": "WorkersCompensationEmployersLiability_EmployersLiability_DiseaseEachEmployeeLimitAmount_A",
    "wc.lim.el_disease_policy_limit": "WorkersCompensationEmployersLiability_EmployersLiability_DiseasePolicyLimitAmount_A",
    # the 'other' row
    "oth.type": "OtherPolicy_OtherPolicyDescription_A",
    "oth.ltr": "OtherPolicy_InsurerLetterCode_A",
    "oth.addl": "CertificateOfInsurance_OtherPolicy_AdditionalInsuredCode_A",
    "oth.subr": "Policy_OtherPolicy_OtherPolicySubrogationWaivedCode_A",
    "oth.number": "OtherPolicy_PolicyNumberIdentifier_A",
    "oth.eff": "OtherPolicy_PolicyEffectiveDate_A",
    "oth.exp": "OtherPolicy_PolicyExpirationDate_A",
}
for _letter in "ABCDEF":
    _MAP[f"insurer.{_letter}.name"] = f"Insurer_FullName_{_letter}"
    _MAP[f"insurer.{_letter}.naic"] = f"Insurer_NAICCode_{_letter}"


def acord_name(key: str) -> str | None:
    """The ACORD field name of a value key, or None when the real form has no such field."""
    name = _MAP.get(key)
    if name is None and key.startswith("oth.lim."):
        return None
    return f"{P1}{name}[0]" if name else None

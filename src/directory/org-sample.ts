// The sample directory (docs/samples/organisations.csv, kept identical by test/org-import.test.ts):
// a few trusts, an ICB, a CSU and the GP practices whose IT it runs, a council. Fake but plausible
// ODS codes (trusts R.., ICB Q.., CSU 0.., practices letter + 5 digits). The ICB comes last: rows may
// name organisations defined further down. Used by the demo and the docs.
export const SAMPLE_ORGANISATIONS_CSV = `ods_code,name,type,region,parent_ods_code,it_support_ods_code,routing,products
RZN,Northtown Teaching Hospitals NHS Foundation Trust,trust,North West,QZA,,direct,Cerner Millennium;Windows 10;Citrix NetScaler;MOVEit Transfer
RZS,Southtown and District NHS Trust,trust,North West,QZA,,,Epic;Windows 11;Fortinet FortiGate
RZE,Eastfield Community Healthcare NHS Trust,trust,North West,QZA,,,SystmOne;Windows 10;Microsoft Exchange
RZW,Westbury Mental Health NHS Foundation Trust,trust,North West,QZA,,,
Z91001,Riverside Medical Practice,gp_practice,North West,QZA,0ZC,via_support,EMIS Web;Docman;Windows 10
Z91002,Ancoats Lane Surgery,gp_practice,North West,QZA,0ZC,,EMIS Web;Windows 11
Z91003,Hillview Family Doctors,gp_practice,North West,QZA,0ZC,both,SystmOne;Windows 10
Z91004,Canal Street Health Centre,gp_practice,North West,QZA,0ZC,via_support,
0ZC,Northshire Commissioning Support Unit,csu,North West,QZA,,direct,Windows Server 2019;Citrix NetScaler;Fortinet FortiGate
QZA,NHS Northshire Integrated Care Board,icb,North West,,,direct,Windows 11;Microsoft 365
LAZ01,Northtown City Council,local_authority,North West,,,direct,Windows Server 2012 R2;Microsoft Exchange
`;

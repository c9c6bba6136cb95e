"""The AnyCompany demo: the seed's organization, its logs, embedded attacks and a ground truth."""
